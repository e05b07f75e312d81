"""The checklist rules: active steps, progress, step expansion, marking, assigning, due dates,
notes, renaming, archiving and slugs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.checklists import get_template
from bot.services import checklist as svc
from bot.services.checklist import Refusal
from bot.services.progress import active_flags, build_checklist
from storage import repositories as repo
from storage.db import create_engine, create_sessionmaker, upgrade
from storage.models import Application, StepState

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)
TEMPLATE = get_template()
STEPS = [s.number for s in TEMPLATE.steps]


@pytest.fixture
async def sessions(tmp_path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'onboard.db'}")
    try:
        await upgrade(engine)
        yield create_sessionmaker(engine, writes=True)
    finally:
        await engine.dispose()


@pytest.fixture
async def application(sessions: async_sessionmaker[AsyncSession]) -> Application:
    async with sessions.begin() as session:
        return await svc.create_application(
            session, team_id="T1", channel_id="CPAY", owner_id="UALICE", name="Acme", now=NOW
        )


async def events_of(sessions: async_sessionmaker[AsyncSession], application: Application):
    async with sessions.begin() as session:
        return [
            (e.kind, e.step, e.actor_id, e.old_value, e.new_value)
            for e in await repo.all_events(session, application.id)
        ]


# --- active steps (pure) -----------------------------------------------------------------------

T, F = True, False


@pytest.mark.parametrize(
    ("done", "active"),
    [
        pytest.param([], [], id="empty"),
        pytest.param([F, F, F, F], [T, F, F, F], id="nothing done: only the first"),
        pytest.param([T, F, F, F], [F, T, F, F], id="1 done: the second"),
        pytest.param([T, T, F, F], [F, F, T, F], id="2 done: the third"),
        pytest.param([T, T, T, F], [F, F, F, T], id="3 done: the fourth"),
        pytest.param([F, F, T, F], [T, T, F, F], id="a later step done: earlier undone active"),
        pytest.param([T, F, F, T], [F, T, T, F], id="skipped middle"),
        pytest.param([F, T, F, T, F], [T, F, T, F, F], id="two skips"),
        pytest.param([T, T, T, T], [F, F, F, F], id="all done: none"),
        pytest.param([F], [T], id="single undone"),
        pytest.param([T], [F], id="single done"),
    ],
)
def test_active_flags(done: list[bool], active: list[bool]) -> None:
    assert active_flags(done) == active


@pytest.mark.parametrize(
    ("done", "skipped", "active"),
    [
        pytest.param([F, F, F], [T, F, F], [F, T, F], id="first skipped: the second"),
        pytest.param([T, F, F, F], [F, T, F, F], [F, F, T, F], id="skipped middle: the next"),
        pytest.param([F, F, F, F], [F, F, T, F], [T, F, F, F], id="a later skip: not earlier"),
        pytest.param([F, F, T, F], [F, T, F, F], [T, F, F, F], id="skip and a later done"),
        pytest.param([T, F, T], [F, T, F], [F, F, F], id="done or skipped: none"),
    ],
)
def test_active_flags_count_skipped_steps_as_complete_before_only(
    done: list[bool], skipped: list[bool], active: list[bool]
) -> None:
    assert active_flags(done, skipped) == active


@pytest.mark.parametrize("k", range(19))
def test_with_the_first_k_done_step_k_plus_1_is_the_only_active(k: int) -> None:
    flags = active_flags([i < k for i in range(19)])
    assert [i for i, flag in enumerate(flags) if flag] == [k]


@given(st.lists(st.booleans(), max_size=40))
def test_active_iff_not_done_and_all_before_done_or_some_later_done(done: list[bool]) -> None:
    flags = active_flags(done)
    assert len(flags) == len(done)
    for i, flag in enumerate(flags):
        expected = not done[i] and (all(done[:i]) or any(done[i + 1 :]))
        assert flag == expected, (done, i)


# --- progress ----------------------------------------------------------------------------------


def test_build_checklist_from_states() -> None:
    application = Application(
        id=1, template_key=TEMPLATE.key, template_version=TEMPLATE.version, name="Acme"
    )
    done = {"1.1", "1.2", "2.1"}
    states = [
        StepState(
            application_id=1,
            step=number,
            position=i,
            done_at=NOW if number in done else None,
            done_by="UALICE" if number in done else None,
            assignee_id="UBOB" if number == "1.3" else None,
            changed_at=NOW,
        )
        for i, number in enumerate(STEPS)
    ]
    # States come in any order; the checklist follows the template.
    checklist = build_checklist(application, TEMPLATE, states[::-1], {"1.4": 2})

    assert [len(p.steps) for p in checklist.phases] == [5, 5, 5, 3, 1]
    assert [p.done_count for p in checklist.phases] == [2, 1, 0, 0, 0]
    assert checklist.done_count == 3
    assert checklist.total == 19
    assert [s.step.number for s in checklist.steps] == STEPS
    assert [s.step.number for s in checklist.steps if s.active] == ["1.3", "1.4", "1.5"]
    assert checklist.step("1.3").assignee_id == "UBOB"
    assert checklist.step("1.4").note_count == 2
    assert checklist.step("1.5").note_count == 0
    assert checklist.step("1.1").done and checklist.step("1.1").done_by == "UALICE"
    assert not any(p.complete for p in checklist.phases)


async def test_load_checklist_counts_and_active_steps(
    sessions: async_sessionmaker[AsyncSession], application: Application
) -> None:
    async with sessions.begin() as session:
        fresh = await svc.load_checklist(session, application)
    assert [len(p.steps) for p in fresh.phases] == [5, 5, 5, 3, 1]
    assert [p.phase.number for p in fresh.phases] == [1, 2, 3, 4, 5]
    assert fresh.done_count == 0
    assert [s.step.number for s in fresh.steps if s.active] == ["1.1"]

    async with sessions.begin() as session:
        await svc.mark_steps(session, application, ["1"], actor_id="UALICE", now=NOW)
        await svc.mark_steps(session, application, ["2.2"], actor_id="UBOB", now=NOW)
    async with sessions.begin() as session:
        loaded = await svc.load_checklist(session, application)
    assert [p.done_count for p in loaded.phases] == [5, 1, 0, 0, 0]
    assert loaded.phases[0].complete and not loaded.phases[1].complete
    assert loaded.done_count == 6
    assert [s.step.number for s in loaded.steps if s.active] == ["2.1"]
    assert loaded.step("2.2").done_by == "UBOB"

    async with sessions.begin() as session:
        await svc.mark_steps(
            session, application, ["1", "2", "3", "4", "5"], actor_id="U", now=NOW, force=True
        )
        done = await svc.load_checklist(session, application)
    assert done.done_count == 19
    assert all(p.complete for p in done.phases)
    assert not any(s.active for s in done.steps)


# --- expanding what was typed ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("refs", "expected"),
    [
        (["3"], ["3.1", "3.2", "3.3", "3.4", "3.5"]),
        (["3.4"], ["3.4"]),
        (["5"], ["5.1"]),
        (["3.4", "3.4"], ["3.4"]),
        (["3.4", "3", "1.1"], ["3.4", "3.1", "3.2", "3.3", "3.5", "1.1"]),
        (["03.4"], ["3.4"]),
        (["3.04"], ["3.4"]),
        (["4", "4.2"], ["4.1", "4.2", "4.3"]),
    ],
)
def test_expand_steps(refs: list[str], expected: list[str]) -> None:
    assert svc.expand_steps(TEMPLATE, refs) == expected


@pytest.mark.parametrize("ref", ["9.9", "6", "0", "1.6", "0.1", "4.4", "5.2", "00"])
def test_expand_steps_refuses_unknown_steps_and_phases(ref: str) -> None:
    with pytest.raises(Refusal) as caught:
        svc.expand_steps(TEMPLATE, ["1.1", ref])
    message = caught.value.message
    assert f"`{ref}`" in message
    assert "1.1–1.5" in message
    assert "1.1–1.5, 2.1–2.5, 3.1–3.5, 4.1–4.3, 5.1" in message
    assert "1–5" in message
    assert str(caught.value) == message


def test_step_number_wants_a_single_step() -> None:
    assert svc.step_number(TEMPLATE, "2.3") == "2.3"
    with pytest.raises(Refusal, match=r"`3` is a phase.*`3\.1`"):
        svc.step_number(TEMPLATE, "3")


# --- marking -----------------------------------------------------------------------------------


async def test_marking_out_of_order_lists_what_was_skipped(
    sessions: async_sessionmaker[AsyncSession], application: Application
) -> None:
    async with sessions.begin() as session:
        outcome = await svc.mark_steps(session, application, ["1.3"], actor_id="UBOB", now=NOW)
    assert outcome.changed == ["1.3"]
    assert outcome.unchanged == []
    assert outcome.open_before == ["1.1", "1.2"]

    async with sessions.begin() as session:
        in_order = await svc.mark_steps(
            session, application, ["1.2", "1.1"], actor_id="UBOB", now=NOW
        )
    assert in_order.changed == ["1.1", "1.2"]  # template order, whatever the typed order
    assert in_order.open_before == []


async def test_marking_is_idempotent_and_unmarking_is_recorded(
    sessions: async_sessionmaker[AsyncSession], application: Application
) -> None:
    later = NOW + timedelta(hours=2)
    async with sessions.begin() as session:
        first = await svc.mark_steps(session, application, ["1.1"], actor_id="UALICE", now=NOW)
    async with sessions.begin() as session:
        again = await svc.mark_steps(session, application, ["1.1"], actor_id="UBOB", now=later)
        states = {s.step: s for s in await repo.step_states(session, application.id)}
    assert first.changed == ["1.1"]
    assert again.changed == [] and again.unchanged == ["1.1"]
    assert (states["1.1"].done_by, states["1.1"].done_at) == ("UALICE", NOW)

    async with sessions.begin() as session:
        undone = await svc.unmark_steps(session, application, ["1.1"], actor_id="UBOB", now=later)
        undone_again = await svc.unmark_steps(
            session, application, ["1.1", "1.2"], actor_id="UBOB", now=later
        )
    assert undone.changed == ["1.1"]
    assert undone_again.changed == [] and undone_again.unchanged == ["1.1", "1.2"]

    assert await events_of(sessions, application) == [
        ("created", None, "UALICE", None, "Acme"),
        ("marked", "1.1", "UALICE", "not done", "done"),
        ("unmarked", "1.1", "UBOB", "done", "not done"),
    ]


async def test_bad_step_changes_nothing(
    sessions: async_sessionmaker[AsyncSession], application: Application
) -> None:
    with pytest.raises(Refusal):
        async with sessions.begin() as session:
            await svc.mark_steps(session, application, ["1.1", "9.9"], actor_id="U", now=NOW)
    async with sessions.begin() as session:
        loaded = await svc.load_checklist(session, application)
    assert loaded.done_count == 0
    assert [e[0] for e in await events_of(sessions, application)] == ["created"]


# --- due dates ---------------------------------------------------------------------------------


async def test_set_due_records_old_and_new(
    sessions: async_sessionmaker[AsyncSession], application: Application
) -> None:
    async with sessions.begin() as session:
        first = await svc.set_due(
            session, application, "2.1", date(2026, 12, 1), actor_id="UALICE", now=NOW
        )
        second = await svc.set_due(
            session, application, "2.1", date(2026, 12, 5), actor_id="UALICE", now=NOW
        )
        same = await svc.set_due(
            session, application, "2.1", date(2026, 12, 5), actor_id="UALICE", now=NOW
        )
        cleared = await svc.set_due(session, application, "2.1", None, actor_id="UBOB", now=NOW)
    assert first == ("2.1", None)
    assert second == ("2.1", date(2026, 12, 1))
    assert same == ("2.1", date(2026, 12, 5))
    assert cleared == ("2.1", date(2026, 12, 5))
    assert (await events_of(sessions, application))[1:] == [
        ("due", "2.1", "UALICE", None, "2026-12-01"),
        ("due", "2.1", "UALICE", "2026-12-01", "2026-12-05"),
        ("due", "2.1", "UBOB", "2026-12-05", None),
    ]


# --- assigning, notes, renaming, archiving -----------------------------------------------------


async def test_assign_and_unassign_record_old_and_new(
    sessions: async_sessionmaker[AsyncSession], application: Application
) -> None:
    later = NOW + timedelta(days=1)
    async with sessions.begin() as session:
        assigned = await svc.assign_step(
            session, application, "2.1", "UBOB", actor_id="UALICE", now=later
        )
    async with sessions.begin() as session:
        reassigned = await svc.assign_step(
            session, application, "2.1", "UCAROL", actor_id="UALICE", now=later
        )
        unchanged = await svc.assign_step(
            session, application, "2.1", "UCAROL", actor_id="UALICE", now=later
        )
    async with sessions.begin() as session:
        unassigned = await svc.assign_step(
            session, application, "2.1", None, actor_id="UBOB", now=later
        )
        states = {s.step: s for s in await repo.step_states(session, application.id)}

    assert (assigned.step, assigned.old) == ("2.1", None)
    assert (reassigned.step, reassigned.old) == ("2.1", "UBOB")
    assert (unchanged.step, unchanged.old, unchanged.changed) == ("2.1", "UCAROL", False)
    assert (unassigned.step, unassigned.old, unassigned.changed) == ("2.1", "UCAROL", True)
    # A change that gives the step to someone else has its event's id (it keys their DM);
    # an unassign tells nobody, so its event is written with the transaction's others.
    ids = [assigned.event_id, reassigned.event_id]
    assert all(ids) and ids[0] < ids[1]
    assert unassigned.event_id is None and unchanged.event_id is None
    assert states["2.1"].assignee_id is None
    assert states["2.1"].changed_at == later
    assert (await events_of(sessions, application))[1:] == [
        ("assigned", "2.1", "UALICE", None, "UBOB"),
        ("assigned", "2.1", "UALICE", "UBOB", "UCAROL"),
        ("unassigned", "2.1", "UBOB", "UCAROL", None),
    ]

    with pytest.raises(Refusal, match="is a phase"):
        async with sessions.begin() as session:
            await svc.assign_step(session, application, "2", "UBOB", actor_id="U", now=NOW)


async def test_add_note_stores_the_note_and_an_event(
    sessions: async_sessionmaker[AsyncSession], application: Application
) -> None:
    later = NOW + timedelta(hours=5)
    text = 'Sandbox key is in 1Password, "Alipay" vault — 支付宝 ✓'
    async with sessions.begin() as session:
        step = await svc.add_note(session, application, "01.4", text, actor_id="UBOB", now=later)
    async with sessions.begin() as session:
        notes = await repo.all_notes(session, application.id)
        loaded = await svc.load_checklist(session, application)
        shown, more = await svc.history(session, application, "1.4")

    assert step == "1.4"
    assert [(n.step, n.author_id, n.text, n.created_at) for n in notes] == [
        ("1.4", "UBOB", text, later)
    ]
    assert loaded.step("1.4").note_count == 1
    assert loaded.step("1.4").changed_at == later
    assert more is False
    assert [(e.kind, e.step, e.actor_id, e.new_value) for e in shown] == [
        ("noted", "1.4", "UBOB", text)
    ]


async def test_rename_and_archive_record_events(
    sessions: async_sessionmaker[AsyncSession], application: Application
) -> None:
    later = NOW + timedelta(days=2)
    async with sessions.begin() as session:
        current = await repo.application_by_id(session, application.id)
        assert current is not None
        old = await svc.rename(session, current, "Acme Pay", actor_id="UALICE", now=NOW)
        same = await svc.rename(session, current, "Acme Pay", actor_id="UALICE", now=NOW)
        archived = await svc.archive(session, current, actor_id="UALICE", now=later)
        archived_again = await svc.archive(session, current, actor_id="UALICE", now=later)
    async with sessions.begin() as session:
        stored = await repo.application_by_id(session, application.id)
        in_channel = await repo.applications_in_channel(session, "T1", "CPAY")
        with_archived = await repo.applications_in_channel(
            session, "T1", "CPAY", include_archived=True
        )

    assert (old, same) == ("Acme", "Acme Pay")
    assert (archived, archived_again) == (True, False)
    assert stored is not None
    assert stored.name == "Acme Pay" and stored.slug == "acme"  # the slug stays
    assert stored.archived_at == later
    assert in_channel == [] and [a.id for a in with_archived] == [application.id]
    assert (await events_of(sessions, application))[1:] == [
        ("renamed", None, "UALICE", "Acme", "Acme Pay"),
        ("archived", None, "UALICE", None, None),
    ]


# --- slugs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("支付宝", "app"),
        ("🚀🚀", "app"),
        ("", "app"),
        ("---", "app"),
        ("Café Zürich", "cafe-zurich"),
        ("Acme Corp.", "acme-corp"),
        ("  ACME   pay!! ", "acme-pay"),
        ("Acme 支付宝 Pay", "acme-pay"),
        ("Ｆｕｌｌ Ｗｉｄｔｈ", "full-width"),
        ("x" * 60, "x" * 40),
        ("a" * 39 + " b", "a" * 39),  # cut at 40 characters, no trailing dash
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert svc.slugify(name) == slug


async def test_create_application_makes_unique_slugs(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    slugs = []
    for name in ("Acme", "ACME", "acme!", "Acme Corp", "支付宝", "支付宝"):
        async with sessions.begin() as session:
            created = await svc.create_application(
                session, team_id="T1", channel_id="CPAY", owner_id="UALICE", name=name, now=NOW
            )
            slugs.append(created.slug)
    async with sessions.begin() as session:
        elsewhere = await svc.create_application(
            session, team_id="T2", channel_id="CX", owner_id="UZED", name="Acme", now=NOW
        )
        states = await repo.step_states(session, created.id)

    assert slugs == ["acme", "acme-2", "acme-3", "acme-corp", "app", "app-2"]
    assert elsewhere.slug == "acme"  # slugs are unique per workspace
    assert created.name == "支付宝"
    assert (created.template_key, created.template_version) == (TEMPLATE.key, TEMPLATE.version)
    assert len(states) == 19
    created_events = await events_of(sessions, created)
    assert created_events == [("created", None, "UALICE", None, "支付宝")]


async def test_history_pages_back_through_a_long_history(
    sessions: async_sessionmaker[AsyncSession], application: Application
) -> None:
    """40 notes: pages of 15 newest first, each page older than the last, then no more."""
    async with sessions.begin() as session:
        for i in range(40):
            await svc.add_note(
                session, application, "1.1", f"n{i}", actor_id="U", now=NOW + timedelta(i)
            )
    seen: list[str] = []
    before = None
    async with sessions() as session:
        while True:
            page, more = await svc.history(session, application, None, before_id=before)
            seen += [e.new_value for e in page if e.kind == "noted"]
            if not more:
                break
            before = page[-1].id
    assert seen == [f"n{i}" for i in reversed(range(40))]
