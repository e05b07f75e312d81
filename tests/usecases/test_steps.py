"""bot/usecases/steps.py: assign, unassign, due dates, notes, snooze and the step menu,
called directly with the real runtime and database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.command_parser import MAX_NOTE
from bot.services.due_dates import DueSpec
from bot.usecases import applications, steps
from bot.usecases.context import Actor, Deps
from storage.models import Application, Note
from tests.conftest import FakeClock
from tests.slack_stub import SlackStub
from tests.usecases.conftest import ACCESS_REFUSALS, Db, named

TOMORROW = DueSpec("days", days=1)


def _intents(deps: Deps, actor: Actor, ref) -> dict:
    return {
        "assign": lambda: steps.assign(deps, actor, ref, "1.1", "UBOB"),
        "unassign": lambda: steps.assign(deps, actor, ref, "1.1", None),
        "due": lambda: steps.set_due(deps, actor, ref, "1.1", TOMORROW),
        "note": lambda: steps.add_note(deps, actor, ref, "1.1", "asked Alipay"),
        "snooze": lambda: steps.snooze(deps, actor, ref, "1.1", "tomorrow"),
        "menu": lambda: steps.open_step_menu(deps, actor, ref, "1.1", "assign"),
    }


INTENTS = ["assign", "unassign", "due", "note", "snooze", "menu"]


@pytest.mark.parametrize(("who", "ref", "says"), ACCESS_REFUSALS)
@pytest.mark.parametrize("intent", INTENTS)
async def test_every_step_intent_refuses_who_may_not_change_it(
    deps: Deps, refuses, request, application: Application, intent, who, ref, says
) -> None:
    actor, ref = named(request, application, who, ref)
    await refuses(_intents(deps, actor, ref)[intent](), says)


@pytest.mark.parametrize("ref", ["id", "slug"])
@pytest.mark.parametrize("intent", ["assign", "unassign", "due", "note", "snooze"])
async def test_the_steps_of_an_archived_application_do_not_change(
    deps: Deps, refuses, owner: Actor, application: Application, intent, ref
) -> None:
    await applications.archive(deps, owner, application.id)
    named_as = application.id if ref == "id" else application.slug
    await refuses(_intents(deps, owner, named_as)[intent](), "archived")


# ---- assign -----------------------------------------------------------------------------------


async def test_assign_and_unassign_redraw_the_homes_of_the_old_and_new_assignee(
    deps: Deps, db: Db, member: Actor, application: Application
) -> None:
    given = await steps.assign(deps, member, application.id, "1.1", "UALICE")
    assert (given.step, given.old, given.new) == ("1.1", None, "UALICE")
    assert given.followup.homes == {"UALICE"} and given.followup.redraw_checklist
    moved = await steps.assign(deps, member, None, "1.1", "UCAROL")
    assert (moved.old, moved.new, moved.followup.homes) == (
        "UALICE",
        "UCAROL",
        {"UALICE", "UCAROL"},
    )
    taken = await steps.assign(deps, member, "acme-pos", "1.1", None)
    assert (taken.old, taken.new, taken.followup.homes) == ("UCAROL", None, {"UCAROL"})
    assert (await db.step(application.id, "1.1")).assignee_id is None
    history = [(e.kind, e.old_value, e.new_value) for e in await db.events(application.id)][1:]
    assert history == [
        ("assigned", None, "UALICE"),
        ("assigned", "UALICE", "UCAROL"),
        ("unassigned", "UCAROL", None),
    ]


@pytest.mark.parametrize(
    ("step", "assignee", "says"),
    [
        ("1.1", "UNOBODY", "<@UNOBODY> isn't a user in this workspace"),
        ("1.1", "UGONE", "<@UGONE> is deactivated"),
        ("9.9", "UBOB", "There is no step `9.9`"),
        ("1", "UBOB", "`1` is a phase"),
    ],
)
async def test_assign_refuses_unknown_people_and_steps(
    deps: Deps,
    slack: SlackStub,
    refuses,
    member: Actor,
    application: Application,
    step,
    assignee,
    says,
) -> None:
    slack.add_user("UGONE")["deleted"] = True
    await refuses(steps.assign(deps, member, application.id, step, assignee), says)


# ---- due dates --------------------------------------------------------------------------------


async def test_due_dates_are_judged_in_the_assignees_time_zone(
    deps: Deps, db: Db, refuses, slack: SlackStub, clock: FakeClock, member: Actor, application
) -> None:
    """At 20:00 UTC it is already the 26th in Shanghai (Carol) but the 25th in Los Angeles
    (everyone else): the 25th is past for Carol's step and today for an unassigned one."""
    slack.add_user("UCAROL", tz="Asia/Shanghai")
    clock.now = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
    await steps.assign(deps, member, application.id, "1.2", "UCAROL")
    the_25th = DueSpec("date", on=date(2026, 11, 25))
    await refuses(
        steps.set_due(deps, member, application.id, "1.2", the_25th),
        "2026-11-25 is in the past (today is 2026-11-26)",
    )
    today = await steps.set_due(deps, member, application.id, "1.1", the_25th)
    assert (today.due_on, today.zone_name, today.followup.homes) == (
        date(2026, 11, 25),
        "America/Los_Angeles",
        frozenset(),
    )
    carols = await steps.set_due(deps, member, application.id, "1.2", TOMORROW)
    assert (carols.due_on, carols.zone_name) == (date(2026, 11, 27), "Asia/Shanghai")
    assert carols.followup.homes == {"UCAROL"}
    assert (await db.step(application.id, "1.2")).due_on == date(2026, 11, 27)
    cleared = await steps.set_due(deps, member, application.id, "1.2", DueSpec("none"))
    assert cleared.due_on is None and (await db.step(application.id, "1.2")).due_on is None
    assert [(e.step, e.old_value, e.new_value) for e in await db.events(application.id, "due")] == [
        ("1.1", None, "2026-11-25"),
        ("1.2", None, "2026-11-27"),
        ("1.2", "2026-11-27", None),
    ]


@pytest.mark.parametrize(
    ("step", "due", "says"),
    [
        ("1.1", DueSpec("date", on=date(2026, 11, 24)), "2026-11-24 is in the past"),
        ("1.1", DueSpec("days", days=-1), "is in the past"),
        ("9.9", TOMORROW, "There is no step `9.9`"),
        ("2", TOMORROW, "`2` is a phase"),
    ],
)
async def test_set_due_refuses_past_dates_and_unknown_steps(
    deps: Deps, refuses, member: Actor, application: Application, step, due, says
) -> None:
    await refuses(steps.set_due(deps, member, application.id, step, due), says)


# ---- notes ------------------------------------------------------------------------------------


async def test_a_note_is_saved_trimmed_and_touches_the_step(
    deps: Deps, db: Db, clock: FakeClock, owner: Actor, member: Actor, application: Application
) -> None:
    await steps.assign(deps, owner, application.id, "2.1", "UALICE")
    clock.advance(hours=2)
    noted = await steps.add_note(deps, member, application.id, "2.1", "  sandbox key sent \n")
    assert (noted.step, noted.new, noted.followup.homes) == ("2.1", "sandbox key sent", {"UALICE"})
    async with db.sessions() as session:
        (note,) = await session.scalars(select(Note))
    assert (note.step, note.author_id, note.text) == ("2.1", "UBOB", "sandbox key sent")
    assert (await db.step(application.id, "2.1")).changed_at == clock.now
    await steps.add_note(deps, member, application.id, "2.1", "x" * MAX_NOTE)  # the most allowed
    assert len(await db.events(application.id, "noted")) == 2


@pytest.mark.parametrize(
    ("step", "text", "says"),
    [
        ("1.1", "   \n ", "an empty note isn't saved"),
        ("1.1", "x" * (MAX_NOTE + 1), f"That note is {MAX_NOTE + 1:,} characters"),
        ("9.9", "hello", "There is no step `9.9`"),
    ],
)
async def test_add_note_refuses_empty_or_long_notes_and_unknown_steps(
    deps: Deps, refuses, member: Actor, application: Application, step, text, says
) -> None:
    await refuses(steps.add_note(deps, member, application.id, step, text), says)


# ---- snooze and the step menu -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("choice", "after"),
    [("1h", timedelta(hours=1)), ("3d", timedelta(days=3))],
)
async def test_snooze_holds_reminders_for_the_chosen_time_without_redrawing_the_checklist(
    deps: Deps, db: Db, refuses, member: Actor, application: Application, choice, after
) -> None:
    snoozed = await steps.snooze(deps, member, application.id, "1.1", choice)
    assert snoozed.until == deps.now() + after
    assert not snoozed.followup.redraw_checklist
    state = await db.step(application.id, "1.1")
    assert (state.snoozed_until, state.snoozed_at) == (snoozed.until, deps.now())
    (event,) = await db.events(application.id, "snoozed")
    assert (event.step, event.actor_id) == ("1.1", "UBOB")
    await refuses(
        steps.snooze(deps, member, application.id, "9.9", choice), "There is no step `9.9`"
    )


async def test_snooze_until_tomorrow_ends_as_the_snoozers_working_hours_start(
    deps: Deps, db: Db, member: Actor, application: Application
) -> None:
    """UBOB lives in Los Angeles; the clock is Wed 2026-11-25 10:00 UTC (02:00 LA): tomorrow
    is Thursday, from 09:00 LA (17:00 UTC); next week, Monday 11-30 09:00 LA."""
    tomorrow = await steps.snooze(deps, member, application.id, "1.1", "tomorrow")
    week = await steps.snooze(deps, member, application.id, "1.2", "week")

    assert tomorrow.until == datetime(2026, 11, 26, 17, tzinfo=UTC)
    assert week.until == datetime(2026, 11, 30, 17, tzinfo=UTC)
    assert tomorrow.zone_name == "America/Los_Angeles"


@pytest.mark.parametrize("choice", ["forever", "1d", "", "snooze:1h", "1H"])
async def test_a_snooze_choice_the_menu_does_not_offer_is_refused_and_changes_nothing(
    deps: Deps, db: Db, refuses, member: Actor, application: Application, choice
) -> None:
    await refuses(
        steps.snooze(deps, member, application.id, "1.1", choice),
        "That is not a snooze I offer; pick one of: 1 hour, tomorrow, 3 days, next week.",
    )
    state = await db.step(application.id, "1.1")
    assert (state.snoozed_until, state.snoozed_at) == (None, None)
    assert await db.events(application.id, "snoozed") == []


async def test_the_step_menu_shows_the_step_as_it_is(
    deps: Deps, slack: SlackStub, member: Actor, application: Application
) -> None:
    slack.add_user("UCAROL", tz="Asia/Shanghai")
    await steps.assign(deps, member, application.id, "1.3", "UCAROL")
    await steps.set_due(deps, member, application.id, "1.3", TOMORROW)
    menu = await steps.open_step_menu(deps, member, application.id, "1.3", "due")
    assert (menu.step.number, menu.choice, menu.assignee_id) == ("1.3", "due", "UCAROL")
    assert (menu.due_on, menu.zone_name) == (date(2026, 11, 26), "Asia/Shanghai")
    guide = await steps.open_step_menu(deps, member, application.id, "1.1", "guide")
    assert (guide.assignee_id, guide.due_on, guide.zone_name) == (None, None, "UTC")


@pytest.mark.parametrize(
    ("step", "choice", "says"),
    [
        ("1.1", "delete", "That is not something the step menu does"),
        ("9.9", "guide", "That step is not in this application's checklist"),
    ],
)
async def test_the_step_menu_refuses_unknown_choices_and_steps(
    deps: Deps, refuses, member: Actor, application: Application, step, choice, says
) -> None:
    await refuses(steps.open_step_menu(deps, member, application.id, step, choice), says)
