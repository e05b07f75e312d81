"""A digest pass at scale: `prepare` reads every due channel in the same statements however
many channels are due, and one pass sends every due digest, page after page of claims.

The clock starts on Wednesday 2026-11-25 at 10:00 UTC; UALICE is in Los Angeles, so a digest
`daily 09:00` she sets goes out at 17:00 UTC.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event

from bot.outbox_messages import Digest
from bot.services import digests
from storage import repositories as repo
from tests.scheduler.conftest import Sim, sent, utc

SET_AT = utc(2026, 11, 25, 10)
MINUTE = timedelta(minutes=1)
DUE_AT = utc(2026, 11, 25, 17, 30)


async def add_channels(sim: Sim, first: int, count: int) -> None:
    """Channels with an application and a daily digest; every third has a step marked, every
    fifth one skipped, so the digest has events to read."""
    for i in range(first, first + count):
        channel = f"CDIG{i:04d}"
        sim.slack.channel_members[channel] = ["UALICE", "UBOT"]
        await sim.command(f"new Shop {i}", channel=channel, at=SET_AT)
        await sim.command("digest daily 09:00", channel=channel)
        # After the schedule was set: a digest reports what happened since.
        if i % 3 == 0:
            await sim.command("mark 1.1", channel=channel, at=SET_AT + MINUTE)
        if i % 5 == 0:
            await sim.command("skip 1.2 not needed here", channel=channel, at=SET_AT + MINUTE)


async def test_prepare_reads_10_and_200_channels_in_the_same_statements(sim: Sim) -> None:
    """The statements `prepare` sends are as many for 200 due channels as for 10 (it used to
    send four per channel: its language, applications, step states and events)."""
    engine = sim.app.runtime.engine
    assert engine is not None
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    counts = {}
    await add_channels(sim, 0, 10)
    for channels in (10, 200):
        if channels == 200:
            await add_channels(sim, 10, 190)
        statements.clear()
        event.listen(engine.sync_engine, "before_cursor_execute", count)
        try:
            async with sim.app.runtime.sessions() as session:
                prepared = await digests.prepare(session, DUE_AT)
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", count)
        assert len(prepared) == channels
        assert all(p.message is not None for p in prepared)
        counts[channels] = len(statements)
    assert counts[10] == counts[200] <= 6, counts

    # And the content is each channel's own: the marked and skipped steps since the schedule.
    by_channel = {
        p.message.target: Digest.from_payload(p.message.payload) for p in prepared if p.message
    }
    for i in (0, 3, 5, 7, 15, 199):
        (section,) = by_channel[f"CDIG{i:04d}"].applications
        assert section.application == f"Shop {i}"
        assert [d.step for d in section.done_since] == (["1.1"] if i % 3 == 0 else [])
        assert [s.step for s in section.skipped_since] == (["1.2"] if i % 5 == 0 else [])


async def test_one_pass_sends_every_due_digest_page_after_page(sim: Sim) -> None:
    """Eight digests due, claims of three at a time: the one pass sends all eight, one to each
    channel (it used to send the first page only, and say nothing of the rest)."""
    sim.runner.deliverer.page = 3
    await add_channels(sim, 0, 8)

    result = await sim.run_pass(DUE_AT)

    posts = sent([result], Digest.KIND)
    assert sorted(p.channel for p in posts) == [f"CDIG{i:04d}" for i in range(8)]
    assert result.report.delivery.sent == 8

    # Nothing is left due for the next pass to send.
    later = await sim.run_pass(utc(2026, 11, 25, 17, 45))
    assert sent([later], Digest.KIND) == []


async def test_reads_for_10000_due_channels_search_by_index_never_scan(sim: Sim) -> None:
    """With 10,000 due schedule ids, every statement `digest_reads` sends looks its rows up
    by index. SQLite plans by the length of the id list (it has no table statistics): with
    the list on a joined table it used to scan every step state in order and probe the
    whole list for each one, which took six minutes at 8,000 channels."""
    engine = sim.app.runtime.engine
    assert engine is not None and engine.dialect.name == "sqlite"
    caught: list[tuple[str, object]] = []

    def catch(_conn, _cursor, statement, parameters, *_args) -> None:
        caught.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", catch)
    try:
        async with sim.app.runtime.sessions() as session:
            # The plans depend on the ids' number, not on rows: none need exist.
            await repo.digest_reads(session, range(1, 10_001), ["marked", "skipped"])
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", catch)

    selects = [(s, p) for s, p in caught if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 4
    async with engine.connect() as connection:
        for statement, parameters in selects:
            result = await connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            plan = [str(row[-1]) for row in result]
            assert not [step for step in plan if step.startswith("SCAN")], plan
