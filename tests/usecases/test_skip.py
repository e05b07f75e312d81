"""bot/usecases/checklist.py: skip and unskip, a step that does not apply to this integration,
called directly with the real runtime and database."""

from __future__ import annotations

import pytest

from bot.command_parser import MAX_NOTE
from bot.usecases import applications, checklist, steps
from bot.usecases.context import Actor, Deps
from storage import repositories as repo
from storage.models import Application
from tests.usecases.conftest import ACCESS_REFUSALS, Db, named

REASON = "we only integrate QR, not NFC"


async def test_skip_records_who_why_and_when_and_counts_the_step_as_complete(
    deps: Deps, db: Db, owner: Actor, member: Actor, application: Application
) -> None:
    await steps.assign(deps, owner, application.id, "4.2", "UALICE")
    skipped = await checklist.skip(deps, member, application.id, "4.2", f"  {REASON} ")
    outcome = skipped.outcome
    assert (outcome.step, outcome.changed, outcome.reason, outcome.old_reason) == (
        "4.2",
        True,
        REASON,
        None,
    )
    assert (outcome.complete_count, outcome.skipped_count, outcome.total) == (1, 1, 19)
    assert skipped.followup.redraw_checklist and skipped.followup.homes == {"UALICE"}
    state = await db.step(application.id, "4.2")
    assert (state.skipped_at, state.skipped_by, state.skip_reason) == (deps.now(), "UBOB", REASON)
    assert state.done_at is None  # skipped is not done
    (event,) = await db.events(application.id, "skipped")
    assert (event.step, event.actor_id, event.old_value, event.new_value) == (
        "4.2",
        "UBOB",
        None,
        REASON,
    )
    shown = (await checklist.show(deps, member, None)).checklist
    assert (shown.done_count, shown.skipped_count, shown.complete_count) == (0, 1, 1)
    assert shown.step("4.2").skipped and not shown.step("4.2").done


async def test_skipping_again_changes_only_the_reason_and_the_same_reason_nothing(
    deps: Deps, db: Db, member: Actor, application: Application
) -> None:
    await checklist.skip(deps, member, application.id, "4.2", REASON)
    before = await db.snapshot()
    same = await checklist.skip(deps, member, application.id, "4.2", REASON)
    assert not same.outcome.changed and not same.followup.redraw_checklist
    assert await db.snapshot() == before
    other = await checklist.skip(deps, member, application.id, "4.2", "no NFC readers at all")
    assert (other.outcome.changed, other.outcome.old_reason) == (True, REASON)
    assert [(e.old_value, e.new_value) for e in await db.events(application.id, "skipped")] == [
        (None, REASON),
        (REASON, "no NFC readers at all"),
    ]


async def test_unskip_opens_the_step_again_and_history_keeps_the_reason(
    deps: Deps, db: Db, member: Actor, application: Application
) -> None:
    await checklist.skip(deps, member, application.id, "4.2", REASON)
    unskipped = await checklist.unskip(deps, member, "acme-pos", "4.2")
    assert unskipped.outcome.changed and unskipped.outcome.skipped_count == 0
    state = await db.step(application.id, "4.2")
    assert (state.skipped_at, state.skipped_by, state.skip_reason) == (None, None, None)
    (event,) = await db.events(application.id, "unskipped")
    assert (event.step, event.actor_id, event.old_value) == ("4.2", "UBOB", REASON)
    before = await db.snapshot()
    again = await checklist.unskip(deps, member, application.id, "4.2")
    assert not again.outcome.changed and not again.followup.redraw_checklist
    assert await db.snapshot() == before


async def test_marking_a_skipped_step_marks_it_done_and_ends_the_skip(
    deps: Deps, db: Db, member: Actor, application: Application
) -> None:
    await checklist.skip(deps, member, application.id, "4.2", REASON)
    marked = await checklist.mark(deps, member, application.id, ["4.2"])
    assert marked.outcome.changed == ["4.2"] and marked.outcome.skipped_count == 0
    state = await db.step(application.id, "4.2")
    assert (state.done_by, state.skipped_at, state.skip_reason) == ("UBOB", None, None)
    kinds = [(e.kind, e.step, e.old_value) for e in await db.events(application.id)][-3:]
    assert kinds == [
        ("skipped", "4.2", None),
        ("unskipped", "4.2", REASON),
        ("marked", "4.2", "not done"),
    ]


async def test_a_skipped_step_is_not_an_open_step_before_a_later_mark(
    deps: Deps, member: Actor, application: Application
) -> None:
    await checklist.mark(deps, member, application.id, ["1", "2", "3"], force=True)
    await checklist.mark(deps, member, application.id, ["4.1"])
    await checklist.skip(deps, member, application.id, "4.2", REASON)
    marked = await checklist.mark(deps, member, application.id, ["4.3"])
    assert marked.outcome.open_before == []
    assert (marked.outcome.done_count, marked.outcome.skipped_count) == (17, 1)
    without_skip = await checklist.unskip(deps, member, application.id, "4.2")
    assert without_skip.outcome.complete_count == 17
    # --force: 5.1 announces, and would otherwise ask first about the open 4.2.
    remarked = await checklist.mark(deps, member, application.id, ["5.1"], force=True)
    assert remarked.outcome.open_before == ["4.2"]


@pytest.mark.parametrize(
    ("step", "reason", "says"),
    [
        (
            "4.2",
            "",
            'needs a reason, so the team knows why it does not apply, e.g. `/onboard skip 4.2 "',
        ),
        ("4.2", "   ", "needs a reason"),
        ("4.2", "x" * (MAX_NOTE + 1), f"at most {MAX_NOTE:,}"),
        ("3.4", REASON, "announces going live to the channel"),
        ("3.4", REASON, "can only be marked, not skipped"),
        ("5.1", REASON, "announces the business start to the Alipay contacts"),
        ("9.9", REASON, "There is no step `9.9`"),
        ("4", REASON, "`4` is a phase"),
    ],
)
async def test_skip_refuses_and_changes_nothing(
    deps: Deps, refuses, member: Actor, application: Application, step, reason, says
) -> None:
    await refuses(checklist.skip(deps, member, application.id, step, reason), says)


async def test_a_done_step_is_not_skipped_until_it_is_unmarked(
    deps: Deps, refuses, member: Actor, application: Application
) -> None:
    await checklist.mark(deps, member, application.id, ["4.2"])
    await refuses(
        checklist.skip(deps, member, application.id, "4.2", REASON),
        "Step 4.2 is done, so it can't be skipped",
        "`/onboard unmark 4.2`",
    )
    await checklist.unmark(deps, member, application.id, ["4.2"])
    assert (await checklist.skip(deps, member, application.id, "4.2", REASON)).outcome.changed


async def test_an_archived_application_is_not_skipped_or_unskipped(
    deps: Deps, refuses, owner: Actor, application: Application
) -> None:
    await checklist.skip(deps, owner, application.id, "4.2", REASON)
    await applications.archive(deps, owner, application.id)
    await refuses(checklist.skip(deps, owner, application.id, "4.3", REASON), "archived")
    await refuses(checklist.unskip(deps, owner, application.id, "4.2"), "archived")


@pytest.mark.parametrize(("who", "ref", "says"), ACCESS_REFUSALS)
@pytest.mark.parametrize("intent", ["skip", "unskip"])
async def test_skip_and_unskip_refuse_who_may_not_see_the_checklist(
    deps: Deps, refuses, request, application: Application, intent, who, ref, says
) -> None:
    actor, ref = named(request, application, who, ref)
    if intent == "skip":
        await refuses(checklist.skip(deps, actor, ref, "4.2", REASON), says)
    else:
        await refuses(checklist.unskip(deps, actor, ref, "4.2"), says)


async def test_a_skipped_step_leaves_its_assignees_open_steps(
    deps: Deps, db: Db, owner: Actor, member: Actor, application: Application
) -> None:
    """The App Home lists a person's open steps: a skipped one needs nothing from them."""
    await steps.assign(deps, owner, application.id, "4.2", "UBOB")
    await steps.assign(deps, owner, application.id, "4.3", "UBOB")
    await checklist.skip(deps, member, application.id, "4.2", REASON)
    async with db.sessions() as session:
        mine = await repo.open_steps_assigned_to(session, application.team_id, "UBOB")
    assert [state.step for _, state in mine] == ["4.3"]


async def test_marking_a_phase_leaves_its_skipped_steps_skipped(
    deps: Deps, db: Db, refuses, member: Actor, application: Application
) -> None:
    """`mark 4` means the phase's work is done: 4.2, which does not apply, stays skipped.
    Only naming it (`mark 4.2`, or its Mark done button) marks it done."""
    await checklist.skip(deps, member, application.id, "4.2", REASON)
    marked = await checklist.mark(deps, member, application.id, ["4"])
    assert marked.outcome.changed == ["4.1", "4.3"]
    assert (await db.step(application.id, "4.2")).skip_reason == REASON
    assert await db.events(application.id, "unskipped") == []
    await checklist.unmark(deps, member, application.id, ["4.1", "4.3"])
    await checklist.skip(deps, member, application.id, "4.1", REASON)
    await checklist.skip(deps, member, application.id, "4.3", REASON)
    await refuses(
        checklist.mark(deps, member, application.id, ["4"]),
        "Every step there is skipped (4.1, 4.2, 4.3)",
        "`/onboard mark 4.1`",
    )


# ---- a mark that asks first leaves skipped steps alone ----------------------------------------


async def test_a_mark_that_asks_first_leaves_out_skipped_steps_and_its_answer_keeps_them(
    deps: Deps, db: Db, member: Actor, application: Application
) -> None:
    """`mark 4 5` with 4.2 skipped: 5.1 announces with earlier steps open, so it asks; the
    question names only what the mark marks (not 4.2), and answering it (the buttons carry
    those numbers) marks them and leaves 4.2 skipped, its skip not ended."""
    await checklist.skip(deps, member, application.id, "4.2", REASON)
    asked = await checklist.mark(deps, member, application.id, ["4", "5"])
    assert asked.asked is not None
    assert asked.asked.steps == ("4.1", "4.3", "5.1")
    assert "4.2" not in asked.asked.open_before

    answered = await checklist.mark(
        deps, member, application.id, list(asked.asked.steps), announce=False
    )
    assert answered.outcome.changed == ["4.1", "4.3", "5.1"]
    state = await db.step(application.id, "4.2")
    assert (state.done_at, state.skip_reason) == (None, REASON)
    assert await db.events(application.id, "unskipped") == []


async def test_a_phase_whose_gated_step_is_skipped_is_not_refused_for_credentials(
    deps: Deps, member: Actor, application: Application
) -> None:
    """3.5 (production credentials) skipped and no credentials stored: `mark 3` leaves 3.5
    out, so neither the question nor the mark refuses it. Here it asks (phases 1–2 open)."""
    await checklist.skip(deps, member, application.id, "3.5", REASON)
    asked = await checklist.mark(deps, member, application.id, ["3"])
    assert asked.asked is not None and asked.asked.steps == ("3.1", "3.2", "3.3", "3.4")
    await checklist.mark(deps, member, application.id, ["1", "2"])
    marked = await checklist.mark(deps, member, application.id, ["3"])
    assert marked.asked is None
    assert marked.outcome.changed == ["3.1", "3.2", "3.3", "3.4"]
    assert marked.outcome.skipped_count == 1
