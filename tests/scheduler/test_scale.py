"""The pass at scale: statements that grow with neither the applications nor the messages.

Timings live in bench/ (`scheduler_bench.scale_rows`); these hold the shapes that make them.
Planning reads and writes a fixed number of statements however many applications there are
(the windows over each application's steps run in the database, and only the stalled steps
come back); delivery claims, marks and paces a whole batch in one transaction and records the
sends Slack took in batches.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, insert, select

from bot.app import build_client
from bot.checklists import get_template
from bot.delivery import DeliveryReport
from bot.outbox_messages import GoLive
from bot.scheduler import PassRunner, single_workspace
from storage import outbox
from storage.models import Application, Note, OutboxMessage, StepState
from tests.conftest import FakeClock
from tests.harness import RunningApp
from tests.scheduler.conftest import utc
from tests.slack_stub import SlackStub

NOW = utc(2026, 11, 30, 17)  # Monday, 09:00 in Los Angeles, where the assignees live
STALLED_EVERY = 3


async def add_applications(app: RunningApp, slack: SlackStub, first: int, last: int) -> None:
    """Applications `first`..`last`; every third has step 1.1 assigned, untouched for a week
    and carrying a note; every other step of every application changed an hour ago."""
    template = get_template()
    week_ago, hour_ago = NOW - timedelta(days=7), NOW - timedelta(hours=1)
    stalled = [i for i in range(first, last + 1) if i % STALLED_EVERY == 0]
    for i in stalled:
        slack.add_user(f"UA{i}")
    async with app.runtime.writes.begin() as session:
        await session.execute(
            insert(Application),
            [
                {
                    "id": i,
                    "team_id": "T0001",
                    "slug": f"app-{i}",
                    "name": f"App {i}",
                    "channel_id": f"C{i}",
                    "owner_id": "UOWNER",
                    "template_key": template.key,
                    "template_version": template.version,
                    "created_at": week_ago,
                }
                for i in range(first, last + 1)
            ],
        )
        await session.execute(
            insert(StepState),
            [
                {
                    "application_id": i,
                    "step": step.number,
                    "position": position,
                    "assignee_id": f"UA{i}" if i in stalled and position == 0 else None,
                    "changed_at": week_ago if i in stalled and position == 0 else hour_ago,
                }
                for i in range(first, last + 1)
                for position, step in enumerate(template.steps)
            ],
        )
        await session.execute(
            insert(Note),
            [
                {
                    "application_id": i,
                    "step": "1.1",
                    "author_id": "UOWNER",
                    "text": f"waiting on the sandbox for app {i}",
                    "created_at": week_ago,
                }
                for i in stalled
            ],
        )


def count_statements(app: RunningApp) -> list[int]:
    """A running count of the statements sent to the database, through any engine."""
    counted = [0]

    def count(*_args: object) -> None:
        counted[0] += 1

    for engine in app.runtime.owned_engines:
        event.listen(engine.sync_engine, "before_cursor_execute", count)
    return counted


async def test_planning_makes_as_many_statements_for_2000_applications_as_for_100(
    app: RunningApp, slack: SlackStub, clock: FakeClock
) -> None:
    """A pass over 100 applications (33 stalled) on Monday, then, with 1,900 more, over 2,000
    (666 stalled) on Tuesday: the same number of statements before delivery starts (more than
    500 DMs once took a second statement to queue them and another to read their notes), and
    each DM quotes its step's note (read with the steps, not one lookup per application)."""
    runner = PassRunner.create(
        app.runtime, single_workspace(build_client(app.settings, app.runtime.http_session()))
    )
    counted = count_statements(app)
    planning: list[int] = []

    async def delivering(_now):
        planning.append(counted[0])
        return DeliveryReport()  # what is sent, and how, is the next test's

    runner.deliverer.deliver_due = delivering  # type: ignore[method-assign]

    await add_applications(app, slack, 1, 100)
    counted[0] = 0
    clock.now = NOW
    small = await runner.run_pass(NOW)
    await add_applications(app, slack, 101, 2000)
    counted[0] = 0
    clock.now = NOW + timedelta(days=1)
    large = await runner.run_pass(NOW + timedelta(days=1))

    assert (small.claimed, large.claimed) == (33, 666)
    assert planning[0] == planning[1], planning
    async with app.runtime.sessions() as session:
        payloads = list(await session.scalars(select(OutboxMessage.payload)))
    assert len(payloads) == 33 + 666
    assert all("waiting on the sandbox for app" in str(p) for p in payloads)


async def test_delivery_records_sends_in_batches_not_one_by_one(
    app: RunningApp, slack: SlackStub, clock: FakeClock
) -> None:
    """60 go-lives to 60 channels through the shared (database) pacer: one claim transaction
    and a batch or two of results, far below the five statements a message it took before
    (two is the target); every one sent once and recorded with its ts."""
    messages = [
        GoLive(
            application_id=i,
            application=f"App {i}",
            slug=f"app-{i}",
            channel=f"CGO{i}",
            marked_by="UALICE",
            marked_on=NOW.date(),
            step="3.4",
        ).for_outbox(dedupe_key=f"scale-go-live:{i}", team_id="T0001", target=f"CGO{i}")
        for i in range(60)
    ]
    async with app.runtime.writes.begin() as session:
        await outbox.enqueue(session, messages, clock.now)
    runner = PassRunner.create(
        app.runtime, single_workspace(build_client(app.settings, app.runtime.http_session()))
    )
    counted = count_statements(app)

    report = await runner.deliverer.deliver_due(clock.now)

    assert report.sent == 60
    assert counted[0] <= 12, f"{counted[0]} statements for 60 messages"
    posts = slack.calls_to("chat.postMessage")
    assert sorted(p.args["channel"] for p in posts) == sorted(f"CGO{i}" for i in range(60))
    async with app.runtime.sessions() as session:
        rows = (await session.execute(select(OutboxMessage.status, OutboxMessage.message_ts))).all()
    assert len(rows) == 60
    assert {status for status, _ in rows} == {"sent"}
    assert all(ts for _, ts in rows)
