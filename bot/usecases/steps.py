"""Intents about one step: assign, unassign, due date, note, snooze, and the step menu."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, get_args
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.checklists import Step, Template
from bot.command_parser import MAX_NOTE
from bot.i18n import ENGLISH, N_
from bot.services import assignments
from bot.services import checklist as svc
from bot.services.due_dates import DueSpec, resolve_due
from bot.services.errors import Refusal
from bot.services.snooze import check_choice
from bot.usecases import access, languages
from bot.usecases.access import AppRef
from bot.usecases.context import Actor, Deps, Followup, people, today_for
from storage import repositories as repo
from storage.models import Application


@dataclass(frozen=True, slots=True)
class StepChanged:
    """The outcome of assign, unassign, due and note: which step, its old and new value."""

    template: Template
    step: str
    old: object
    new: object
    followup: Followup


async def assign(
    deps: Deps, actor: Actor, ref: AppRef, step: str, assignee_id: str | None
) -> StepChanged:
    """Give the step to `assignee_id`, or take it from whoever has it (None)."""
    application = await access.for_member(deps, actor, ref)
    if assignee_id is not None:
        person = await deps.runtime.directory.person(deps.client, actor.team_id, assignee_id)
        if person is None or person.deleted:
            raise Refusal(
                N_("{person} isn't a user in this workspace; pick someone from Slack's @ list.")
                if person is None
                else N_("{person} is deactivated; pick someone from Slack's @ list."),
                person=f"<@{assignee_id}>",
            )

    in_channel = await _in_channel(deps, actor, application, assignee_id)
    # The DM is in the assignee's language (their choice, else their Slack's, which the
    # lookup above cached): read before the write transaction, which asks Slack nothing.
    told = assignee_id is not None and assignee_id != actor.user_id
    language = await languages.person_language(deps, actor.team_id, assignee_id) if told else None

    async def unit(session: AsyncSession, current: Application) -> StepChanged:
        assigned = await svc.assign_step(
            session, current, step, assignee_id, actor_id=actor.user_id, now=deps.now()
        )
        queued = await assignments.tell_assignee(
            session,
            current,
            assigned,
            actor_id=actor.user_id,
            in_channel=in_channel,
            now=deps.now(),
            language=language or ENGLISH,
        )
        followup = Followup(current, homes=people(assigned.old, assignee_id), queued=queued)
        return StepChanged(
            svc.template_for(current), assigned.step, assigned.old, assignee_id, followup
        )

    return await access.change(deps, application, unit)


async def _in_channel(
    deps: Deps, actor: Actor, application: Application, user_id: str | None
) -> bool | None:
    """Whether the person given a step is in the application's channel (the DM's button works
    only for members); None when Slack would not say, or nobody is to be told."""
    if user_id is None or user_id == actor.user_id:
        return None
    return await access.is_channel_member(deps, actor.team_id, user_id, application.channel_id)


async def _assignee(deps: Deps, application: Application, number: str) -> str | None:
    async with deps.runtime.sessions() as session:
        state = await repo.step_state(session, application.id, number)
    return state.assignee_id if state else None


@dataclass(frozen=True, slots=True)
class DueSet:
    template: Template
    step: str
    due_on: date | None
    zone_name: str
    followup: Followup


async def set_due(deps: Deps, actor: Actor, ref: AppRef, step: str, due: DueSpec) -> DueSet:
    application = await access.for_member(deps, actor, ref)
    number = svc.step_number(svc.template_for(application), step)
    assignee = await _assignee(deps, application, number)
    today = await today_for(deps, actor, assignee)
    due_on = resolve_due(due, today.date)

    async def unit(session: AsyncSession, current: Application) -> DueSet:
        await svc.set_due(session, current, number, due_on, actor_id=actor.user_id, now=deps.now())
        followup = Followup(current, homes=people(assignee))
        return DueSet(svc.template_for(current), number, due_on, today.zone_name, followup)

    return await access.change(deps, application, unit)


async def add_note(deps: Deps, actor: Actor, ref: AppRef, step: str, text: str) -> StepChanged:
    text = text.strip()
    if not text:
        raise Refusal(N_("Write something: an empty note isn't saved."))
    if len(text) > MAX_NOTE:
        raise Refusal(
            N_("That note is {length} characters; the most is {most}."),
            length=f"{len(text):,}",
            most=f"{MAX_NOTE:,}",
        )
    application = await access.for_member(deps, actor, ref)

    async def unit(session: AsyncSession, current: Application) -> StepChanged:
        number = await svc.add_note(
            session, current, step, text, actor_id=actor.user_id, now=deps.now()
        )
        state = await repo.step_for_update(session, current.id, number)  # loaded already
        followup = Followup(current, homes=people(state.assignee_id if state else None))
        return StepChanged(svc.template_for(current), number, None, text, followup)

    return await access.change(deps, application, unit)


@dataclass(frozen=True, slots=True)
class Snoozed:
    template: Template
    step: str
    until: datetime
    followup: Followup
    zone_name: str = "UTC"  # the snoozer's, in which `until` is shown


async def snooze(deps: Deps, actor: Actor, ref: AppRef, step: str, choice: str) -> Snoozed:
    """Hold the step's reminders for one of the snooze menu's choices (1h, tomorrow, 3d,
    week); any other value is refused before anything is looked up or changed."""
    check_choice(choice)
    application = await access.for_member(deps, actor, ref)
    number = svc.step_number(svc.template_for(application), step)
    today = await today_for(deps, actor, None)
    zone = today.zone or ZoneInfo("UTC")

    async def unit(session: AsyncSession, current: Application) -> Snoozed:
        until = await svc.snooze(
            session, current, number, choice, actor_id=actor.user_id, now=deps.now(), zone=zone
        )
        followup = Followup(current, redraw_checklist=False)
        return Snoozed(svc.template_for(current), number, until, followup, today.zone_name)

    return await access.change(deps, application, unit)


MenuChoice = Literal["guide", "assign", "due", "note"]


@dataclass(frozen=True, slots=True)
class StepMenu:
    """What the modal for a step menu choice shows."""

    application: Application
    template: Template
    step: Step
    choice: MenuChoice
    assignee_id: str | None
    due_on: date | None
    zone_name: str


async def open_step_menu(deps: Deps, actor: Actor, ref: AppRef, step: str, choice: str) -> StepMenu:
    if choice not in get_args(MenuChoice):
        raise Refusal(
            N_("That is not something the step menu does: assign, due date, note, guide.")
        )
    application = await access.for_member(deps, actor, ref)
    template = svc.template_for(application)
    if not template.has_step(step):
        raise Refusal(N_("That step is not in this application's checklist."))
    async with deps.runtime.sessions() as session:
        state = await repo.step_state(session, application.id, step)
    assignee = state.assignee_id if state else None
    zone_name = (await today_for(deps, actor, assignee)).zone_name if choice == "due" else "UTC"
    return StepMenu(
        application,
        template,
        template.step(step),
        choice,  # type: ignore[arg-type]
        assignee,
        state.due_on if state else None,
        zone_name,
    )
