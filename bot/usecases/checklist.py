"""The checklist's intents: create, list, show, mark, unmark, skip, unskip, history, export."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.checklists import Template
from bot.command_parser import MAX_NOTE
from bot.services import checklist as svc
from bot.services import listing
from bot.services.errors import Refusal
from bot.services.export import ExportFile, export_application
from bot.services.progress import Checklist
from bot.usecases import access
from bot.usecases.access import AppRef
from bot.usecases.context import Actor, Deps, Followup, people
from storage.models import Application, Event

_UTC = ZoneInfo("UTC")


async def create(deps: Deps, actor: Actor, name: str) -> Application:
    channel_id = actor.channel_id or ""
    if not channel_id or channel_id.startswith("D"):
        raise Refusal(
            "An application belongs to a channel, and this is a direct message. "
            "Run `/onboard new &lt;name&gt;` in the channel your team works in."
        )
    async with deps.runtime.writes.begin() as session:
        return await svc.create_application(
            session,
            team_id=actor.team_id,
            channel_id=channel_id,
            owner_id=actor.user_id,
            name=name,
            now=deps.now(),
        )


async def list_applications(deps: Deps, actor: Actor) -> listing.Listing:
    async with deps.runtime.sessions() as session:
        return await listing.applications_for(
            session, actor.team_id, actor.channel_id or "", actor.user_id
        )


IN_A_DM = (
    "Applications live in channels, and this is a direct message. Run `/onboard status` in "
    "your team's channel, or name the application here with `/onboard status --app &lt;slug&gt;` "
    "(`/onboard list` shows the slugs)."
)


@dataclass(frozen=True, slots=True)
class Shown:
    checklist: Checklist
    # Whether it was asked for in its own channel, where it is posted for everyone.
    in_its_channel: bool


async def show(deps: Deps, actor: Actor, ref: AppRef, phase: int | None = None) -> Shown:
    """The checklist as it is now, for a member of the application's channel."""
    if ref is None and (actor.channel_id or "").startswith("D"):
        # No application lives in a direct message: say where they do, not "none bound here".
        raise Refusal(IN_A_DM)
    application = await access.for_member(deps, actor, ref)
    phases = len(svc.template_for(application).phases)
    if phase is not None and not 1 <= phase <= phases:
        raise Refusal(f"There is no phase {phase}; phases are 1–{phases}.")
    async with deps.runtime.sessions() as session:
        checklist = await svc.load_checklist(session, application)
    return Shown(checklist, actor.channel_id == application.channel_id)


@dataclass(frozen=True, slots=True)
class Marked:
    """The outcome of mark or unmark, whichever surface asked."""

    template: Template
    outcome: svc.MarkOutcome
    followup: Followup


async def mark(
    deps: Deps, actor: Actor, ref: AppRef, steps: Sequence[str], *, force: bool = False
) -> Marked:
    application = await access.for_member(deps, actor, ref)
    keyring = deps.runtime.keyring

    async def unit(session: AsyncSession, current: Application) -> Marked:
        outcome = await svc.mark_steps(
            session,
            current,
            steps,
            actor_id=actor.user_id,
            now=deps.now(),
            keyring=keyring,
            force=force,
        )
        return _marked(current, outcome)

    return await access.change(deps, application, unit)


async def unmark(deps: Deps, actor: Actor, ref: AppRef, steps: Sequence[str]) -> Marked:
    application = await access.for_member(deps, actor, ref)

    async def unit(session: AsyncSession, current: Application) -> Marked:
        outcome = await svc.unmark_steps(
            session, current, steps, actor_id=actor.user_id, now=deps.now()
        )
        return _marked(current, outcome)

    return await access.change(deps, application, unit)


def _marked(application: Application, outcome: svc.MarkOutcome) -> Marked:
    followup = Followup(
        application,
        homes=people(*outcome.touched),
        queued=outcome.queued,
        redraw_checklist=bool(outcome.changed),
    )
    return Marked(svc.template_for(application), outcome, followup)


@dataclass(frozen=True, slots=True)
class Skipped:
    """The outcome of skip or unskip, whichever surface asked."""

    template: Template
    outcome: svc.SkipOutcome
    followup: Followup


SKIP_EXAMPLE = '`/onboard skip 4.2 "we only integrate QR, not NFC"`'


def skip_reason(reason: str) -> str:
    """The reason as it is kept, or a Refusal saying what a reason must be."""
    reason = reason.strip()
    if not reason:
        raise Refusal(
            "Skipping a step needs a reason, so the team knows why it does not apply, "
            f"e.g. {SKIP_EXAMPLE}."
        )
    if len(reason) > MAX_NOTE:
        raise Refusal(f"That reason is {len(reason):,} characters; the most is {MAX_NOTE:,}.")
    return reason


async def skip(deps: Deps, actor: Actor, ref: AppRef, step: str, reason: str) -> Skipped:
    """Record that a step does not apply to this integration, and why: any member may."""
    reason = skip_reason(reason)
    application = await access.for_member(deps, actor, ref)

    async def unit(session: AsyncSession, current: Application) -> Skipped:
        outcome = await svc.skip_step(
            session, current, step, reason, actor_id=actor.user_id, now=deps.now()
        )
        return _skipped(current, outcome)

    return await access.change(deps, application, unit)


async def unskip(deps: Deps, actor: Actor, ref: AppRef, step: str) -> Skipped:
    application = await access.for_member(deps, actor, ref)

    async def unit(session: AsyncSession, current: Application) -> Skipped:
        outcome = await svc.unskip_step(
            session, current, step, actor_id=actor.user_id, now=deps.now()
        )
        return _skipped(current, outcome)

    return await access.change(deps, application, unit)


def _skipped(application: Application, outcome: svc.SkipOutcome) -> Skipped:
    followup = Followup(
        application,
        homes=people(outcome.assignee_id) if outcome.changed else frozenset(),
        redraw_checklist=outcome.changed,
    )
    return Skipped(svc.template_for(application), outcome, followup)


@dataclass(frozen=True, slots=True)
class HistoryPage:
    application: Application
    events: list[Event]
    step: str | None
    more: bool
    # The reader's own time zone, for the times of the events (UTC when Slack doesn't say).
    zone: ZoneInfo = _UTC


async def history(
    deps: Deps, actor: Actor, ref: AppRef, step: str | None, before_id: int | None = None
) -> HistoryPage:
    application = await access.for_member(deps, actor, ref)
    number = svc.step_number(svc.template_for(application), step) if step else None
    async with deps.runtime.sessions() as session:
        events, more = await svc.history(session, application, number, before_id=before_id)
    reader = await deps.runtime.directory.person(deps.client, actor.team_id, actor.user_id)
    zone = reader.timezone if reader is not None else _UTC
    return HistoryPage(application, events, number, more, zone)


async def export(
    deps: Deps, actor: Actor, ref: AppRef, fmt: str
) -> tuple[Application, list[ExportFile]]:
    application = await access.for_member(deps, actor, ref)
    async with deps.runtime.long_reads() as session:
        return application, await export_application(session, application, fmt)
