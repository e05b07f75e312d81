"""bot/usecases/checklist.py: create, list, show, mark, unmark, history and export, called
directly with the real runtime and database."""

from __future__ import annotations

import json

import pytest

from bot.usecases import applications, checklist, steps
from bot.usecases.context import Actor, Deps
from storage.models import Application
from tests.harness import TEAM_ID
from tests.usecases.conftest import ACCESS_REFUSALS, Db, named

# ---- create and list --------------------------------------------------------------------------


async def test_create_binds_the_application_to_the_channel_with_every_step_open(
    deps: Deps, db: Db, application: Application
) -> None:
    stored = await db.application(application.id)
    assert (stored.team_id, stored.slug, stored.name) == (TEAM_ID, "acme-pos", "Acme POS")
    assert (stored.channel_id, stored.owner_id, stored.created_at) == ("CPAY", "UALICE", deps.now())
    assert await db.done(application.id) == []
    assert len((await db.snapshot())["step_states"]) == 19
    assert [(e.kind, e.actor_id, e.new_value) for e in await db.events(application.id)] == [
        ("created", "UALICE", "Acme POS")
    ]


@pytest.mark.parametrize("channel", ["D0DIRECT", None])
async def test_create_outside_a_channel_is_refused(deps: Deps, refuses, channel) -> None:
    """A DM (or a click, with no channel) cannot own an application."""
    actor = Actor(TEAM_ID, "UALICE", channel)
    await refuses(checklist.create(deps, actor, "Acme POS"), "this is a direct message")


async def test_a_second_new_in_a_channel_asks_first_and_creates_nothing(
    deps: Deps, db: Db, member: Actor, application: Application
) -> None:
    """A second `new Acme POS` in #CPAY, which has `acme-pos`: the question, naming the
    existing application, and no row, event or slug taken."""
    before = await db.snapshot()
    asked = await checklist.create(deps, member, "Acme POS")
    assert isinstance(asked, checklist.AskFirst)
    assert (asked.name, [a.slug for a in asked.existing]) == ("Acme POS", ["acme-pos"])
    assert await db.snapshot() == before


async def test_a_second_application_in_a_channel_gets_its_own_slug_and_needs_naming(
    deps: Deps, db: Db, refuses, owner: Actor, application: Application
) -> None:
    second = await checklist.create(deps, owner, "Acme POS", another=True)
    assert second.slug == "acme-pos-2"
    await refuses(checklist.mark(deps, owner, None, ["1.1"]), "2 applications", "--app")
    await refuses(checklist.show(deps, owner, None), "`acme-pos`, `acme-pos-2`")
    await checklist.mark(deps, owner, "acme-pos-2", ["1.1"])
    assert (await db.done(second.id), await db.done(application.id)) == (["1.1"], [])


async def test_list_shows_the_channels_applications_and_the_actors_elsewhere(
    deps: Deps, owner: Actor, member: Actor, outsider: Actor, application: Application
) -> None:
    """Here: the channel's (archived too); elsewhere: ones the actor owns or has steps in."""
    await steps.assign(deps, owner, application.id, "1.2", "UBOB")
    await checklist.mark(deps, owner, application.id, ["1.1"])
    here = await checklist.list_applications(deps, owner)
    assert [a.id for a in here.here] == [application.id] and here.elsewhere == []
    assert (here.done[application.id], here.totals[application.id]) == (1, 19)
    from_elsewhere = await checklist.list_applications(deps, Actor(TEAM_ID, "UBOB", "COTHER"))
    assert [a.id for a in from_elsewhere.elsewhere] == [application.id]
    nothing = await checklist.list_applications(deps, outsider)
    assert (nothing.here, nothing.elsewhere) == ([], [])
    await applications.archive(deps, owner, application.id)
    assert [a.id for a in (await checklist.list_applications(deps, member)).here] == [
        application.id
    ]


# ---- show -------------------------------------------------------------------------------------


async def test_show_gives_the_checklist_and_whether_it_was_asked_for_in_its_channel(
    deps: Deps, member: Actor, application: Application
) -> None:
    await checklist.mark(deps, member, application.id, ["1.1"])
    shown = await checklist.show(deps, member, None)
    assert shown.in_its_channel and shown.checklist.done_count == 1
    assert shown.checklist.step("1.1").done_by == "UBOB"
    by_click = await checklist.show(deps, Actor(TEAM_ID, "UBOB"), application.id, phase=5)
    assert not by_click.in_its_channel


@pytest.mark.parametrize("phase", [6, 99, 0, -1])
async def test_show_refuses_a_phase_the_checklist_does_not_have(
    deps: Deps, refuses, member: Actor, application: Application, phase: int
) -> None:
    await refuses(checklist.show(deps, member, application.id, phase), f"There is no phase {phase}")


@pytest.mark.parametrize(("who", "ref", "says"), ACCESS_REFUSALS)
@pytest.mark.parametrize("intent", ["show", "mark", "unmark", "history", "export"])
async def test_every_checklist_intent_refuses_who_may_not_see_it(
    deps: Deps, refuses, request, application: Application, intent, who, ref, says
) -> None:
    actor, ref = named(request, application, who, ref)
    calls = {
        "show": lambda: checklist.show(deps, actor, ref),
        "mark": lambda: checklist.mark(deps, actor, ref, ["1.1"]),
        "unmark": lambda: checklist.unmark(deps, actor, ref, ["1.1"]),
        "history": lambda: checklist.history(deps, actor, ref, None),
        "export": lambda: checklist.export(deps, actor, ref, "csv"),
    }
    await refuses(calls[intent](), says)


@pytest.mark.parametrize("ref", ["id", "slug"])
async def test_an_archived_application_is_not_marked_or_unmarked(
    deps: Deps, refuses, owner: Actor, application: Application, ref: str
) -> None:
    await checklist.mark(deps, owner, application.id, ["1.1"])
    await applications.archive(deps, owner, application.id)
    named_as = application.id if ref == "id" else application.slug
    await refuses(checklist.mark(deps, owner, named_as, ["1.2"]), "archived")
    await refuses(checklist.unmark(deps, owner, named_as, ["1.1"]), "archived")


# ---- mark and unmark --------------------------------------------------------------------------


async def test_mark_records_who_did_it_and_redraws_the_homes_of_the_assignees(
    deps: Deps, db: Db, owner: Actor, member: Actor, application: Application
) -> None:
    await steps.assign(deps, owner, application.id, "1.1", "UBOB")
    await steps.assign(deps, owner, application.id, "1.3", "UCAROL")  # not marked below
    marked = await checklist.mark(deps, member, application.id, ["1.1", "1.2"])
    assert (marked.outcome.changed, marked.outcome.unchanged) == (["1.1", "1.2"], [])
    assert (marked.outcome.done_count, marked.outcome.total) == (2, 19)
    assert marked.followup.homes == {"UBOB"}
    assert marked.followup.redraw_checklist and marked.followup.queued == ()
    assert marked.followup.application.id == application.id
    state = await db.step(application.id, "1.1")
    assert (state.done_at, state.done_by) == (deps.now(), "UBOB")
    assert [(e.step, e.actor_id) for e in await db.events(application.id, "marked")] == [
        ("1.1", "UBOB"),
        ("1.2", "UBOB"),
    ]


async def test_marking_a_done_step_changes_nothing_and_redraws_nothing(
    deps: Deps, db: Db, member: Actor, application: Application
) -> None:
    await checklist.mark(deps, member, application.id, ["1.1"])
    before = await db.snapshot()
    again = await checklist.mark(deps, member, application.id, ["1.1"])
    assert (again.outcome.changed, again.outcome.unchanged) == ([], ["1.1"])
    assert not again.followup.redraw_checklist and again.followup.homes == frozenset()
    assert await db.snapshot() == before


async def test_a_phase_marks_all_its_steps_and_a_skip_is_reported(
    deps: Deps, db: Db, member: Actor, application: Application
) -> None:
    assert (await checklist.mark(deps, member, None, ["1"])).outcome.changed == [
        "1.1",
        "1.2",
        "1.3",
        "1.4",
        "1.5",
    ]
    skipped = await checklist.mark(deps, member, None, ["2.3"])
    assert skipped.outcome.open_before == ["2.1", "2.2"]
    assert await db.done(application.id) == ["1.1", "1.2", "1.3", "1.4", "1.5", "2.3"]


async def test_marking_go_live_queues_its_announcement_and_unmarking_cancels_it_unsent(
    deps: Deps, db: Db, member: Actor, application: Application
) -> None:
    """--force marks 3.4 without asking: one go-live queued. Unmarked before it was sent: it is
    cancelled (never sent) and its key freed, so marking again queues a new one; marking once
    more while done queues nothing."""
    marked = await checklist.mark(deps, member, application.id, ["3.4"], force=True)
    (row,) = await db.outbox()
    assert marked.followup.queued == (row.id,)
    assert (row.kind, row.target, row.application_id, row.status) == (
        "go-live",
        "CPAY",
        application.id,
        "pending",
    )
    unmarked = await checklist.unmark(deps, member, application.id, ["3.4"])
    assert unmarked.followup.queued == ()  # nothing went out, so nothing to update
    (cancelled,) = await db.outbox()
    assert cancelled.status == "cancelled"
    assert cancelled.dedupe_key == f"go-live:{application.id}:withdrawn:{row.id}"

    again = await checklist.mark(deps, member, application.id, ["3.4"], force=True)
    assert again.outcome.changed == ["3.4"]
    _, second = await db.outbox()
    assert again.followup.queued == (second.id,)
    assert (second.dedupe_key, second.status) == (f"go-live:{application.id}", "pending")
    once_more = await checklist.mark(deps, member, application.id, ["3.4"], force=True)
    assert once_more.followup.queued == () and len(await db.outbox()) == 2


async def test_unmark_reopens_the_step_and_redraws_its_assignees_home(
    deps: Deps, db: Db, owner: Actor, member: Actor, application: Application
) -> None:
    await steps.assign(deps, owner, application.id, "1.2", "UALICE")
    await checklist.mark(deps, member, application.id, ["1.1", "1.2"])
    unmarked = await checklist.unmark(deps, member, application.id, ["1.2"])
    assert unmarked.outcome.changed == ["1.2"] and unmarked.followup.homes == {"UALICE"}
    assert await db.done(application.id) == ["1.1"]
    (event,) = await db.events(application.id, "unmarked")
    assert (event.step, event.old_value, event.new_value) == ("1.2", "done", "not done")
    nothing = await checklist.unmark(deps, member, application.id, ["1.2"])
    assert nothing.outcome.changed == [] and not nothing.followup.redraw_checklist


@pytest.mark.parametrize(
    ("refs", "says"),
    [
        (["9.9"], "There is no step `9.9`"),
        (["1.6"], "1.1–1.5"),
        (["7"], "There is no phase `7`"),
        (["1.1", "abc"], "There is no phase `abc`"),
    ],
)
async def test_mark_and_unmark_refuse_steps_the_checklist_does_not_have(
    deps: Deps, refuses, member: Actor, application: Application, refs, says
) -> None:
    """One bad step refuses the lot: 1.1 is not marked alongside `abc`."""
    await refuses(checklist.mark(deps, member, application.id, refs), says)
    await refuses(checklist.unmark(deps, member, application.id, refs), says)


async def test_the_gated_step_refuses_a_whole_phase_until_production_credentials_are_set(
    deps: Deps, db: Db, refuses, member: Actor, application: Application
) -> None:
    """Marking phase 3 reaches 3.5, whose gate fails: nothing in the phase is marked and
    go-live (3.4) is not announced. `force` marks it and history says so."""
    await refuses(
        checklist.mark(deps, member, application.id, ["3"]),
        "Step 3.5 can't be marked yet",
        "the production client ID is not set",
    )
    forced = await checklist.mark(deps, member, application.id, ["3"], force=True)
    assert forced.outcome.changed == ["3.1", "3.2", "3.3", "3.4", "3.5"]
    (event,) = await db.events(application.id, "forced")
    assert (event.step, event.actor_id) == ("3.5", "UBOB")


# ---- history and export -----------------------------------------------------------------------


async def test_history_pages_newest_first_and_filters_by_step(
    deps: Deps, member: Actor, application: Application
) -> None:
    for _ in range(8):  # 16 marks and unmarks of 1.1, after "created"
        await checklist.mark(deps, member, application.id, ["1.1"])
        await checklist.unmark(deps, member, application.id, ["1.1"])
    await checklist.mark(deps, member, application.id, ["1.2"])
    first = await checklist.history(deps, member, application.id, None)
    assert len(first.events) == 15 and first.more and first.step is None
    assert first.events[0].step == "1.2"
    rest = await checklist.history(deps, member, None, None, before_id=first.events[-1].id)
    assert [e.kind for e in rest.events][-1] == "created" and not rest.more
    assert len(first.events) + len(rest.events) == 18
    only = await checklist.history(deps, member, "acme-pos", "1.2")
    assert only.step == "1.2" and [(e.kind, e.step) for e in only.events] == [("marked", "1.2")]


@pytest.mark.parametrize(("step", "says"), [("9.9", "no step `9.9`"), ("1", "is a phase")])
async def test_history_refuses_a_step_the_checklist_does_not_have(
    deps: Deps, refuses, member: Actor, application: Application, step, says
) -> None:
    await refuses(checklist.history(deps, member, application.id, step), says)


async def test_export_writes_the_checklist_and_its_history(
    deps: Deps, member: Actor, application: Application
) -> None:
    await checklist.mark(deps, member, application.id, ["1.1"])
    exported_by, files = await checklist.export(deps, member, None, "csv")
    assert exported_by.id == application.id
    by_name = {f.filename: f.content for f in files}
    assert set(by_name) == {"acme-pos-checklist.csv", "acme-pos-history.csv"}
    assert "marked,1.1" in by_name["acme-pos-history.csv"]
    _, (document,) = await checklist.export(deps, member, application.id, "json")
    progress = json.loads(document.content)["application"]["progress"]
    assert progress == {"done": 1, "skipped": 0, "total": 19}
