"""The checklist's intents: create, list, show, mark, unmark, skip, unskip, history, export."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.checklists import Template
from bot.command_parser import MAX_NAME, MAX_NOTE
from bot.command_parser.checklist import SKIP_EXAMPLE
from bot.command_parser.values import clean_name
from bot.i18n import ENGLISH, N_
from bot.services import checklist as svc
from bot.services import languages as language_svc
from bot.services import listing
from bot.services.announcements import Question
from bot.services.errors import Refusal
from bot.services.export import ExportFile, export_application
from bot.services.progress import Checklist
from bot.usecases import access, languages
from bot.usecases.access import AppRef
from bot.usecases.context import Actor, Deps, Followup, people
from storage import repositories as repo
from storage.models import Application, Event

_UTC = ZoneInfo("UTC")


@dataclass(frozen=True, slots=True)
class AskFirst:
    """`new` in a channel that already has applications: nothing was created, and the person
    is asked whether one more is meant (after which every command there needs `--app`)."""

    name: str
    existing: list[Application]


async def create(
    deps: Deps, actor: Actor, name: str, *, another: bool = False
) -> Application | AskFirst:
    """A new application in the actor's channel; unless `another`, only in a channel that has
    none yet (else the question to ask)."""
    channel_id = actor.channel_id or ""
    if not channel_id or channel_id.startswith("D"):
        raise Refusal(
            N_(
                "An application belongs to a channel, and this is a direct message. "
                "Run `/onboard new &lt;name&gt;` in the channel your team works in."
            )
        )
    # Asked before the transaction: it may ask Slack (the creator's language, cached).
    language = await languages.language_for_new_application(deps, actor, channel_id)
    async with deps.runtime.writes.begin() as session:
        # Creating in this channel takes turns until the transaction ends, so two `new`s at
        # once cannot both find it empty and skip the question (a second waits, then sees the
        # first's application).
        await repo.lock_channel_for_new_application(session, actor.team_id, channel_id)
        if not another:
            existing = await repo.applications_in_channel(session, actor.team_id, channel_id)
            if existing:
                return AskFirst(name, existing)
        if language is not None:  # a channel without a language takes its creator's
            await language_svc.default_for_channel(
                session, actor.team_id, channel_id, language, now=deps.now()
            )
        return await svc.create_application(
            session,
            team_id=actor.team_id,
            channel_id=channel_id,
            owner_id=actor.user_id,
            name=name,
            now=deps.now(),
        )


async def create_another(deps: Deps, actor: Actor, name: str) -> Application:
    """The answer to `AskFirst`'s *Create a second application*: `name` and the channel come
    from the click, so both are checked as the command would have them (a name the parser
    takes; a member of the channel, who could have typed `new` there)."""
    name = clean_name(name)
    if not name or len(name) > MAX_NAME:
        raise Refusal(
            N_("That is not a name I can use (1–{most} characters); nothing was created."),
            most=MAX_NAME,
        )
    channel_id = actor.channel_id or ""
    if channel_id and not channel_id.startswith("D"):  # else `create` says where to run `new`
        await access.require_channel_member(
            deps,
            actor,
            channel_id,
            refusal=Refusal(
                N_(
                    "Only members of <#{channel}> can create an application in it;"
                    " join the channel first."
                ),
                channel=channel_id,
            ),
        )
    created = await create(deps, actor, name, another=True)
    assert isinstance(created, Application)
    return created


async def list_applications(deps: Deps, actor: Actor) -> listing.Listing:
    async with deps.runtime.sessions() as session:
        return await listing.applications_for(
            session, actor.team_id, actor.channel_id or "", actor.user_id
        )


IN_A_DM = N_(
    "Applications live in channels, and this is a direct message. Run `/onboard status` in "
    "your team's channel, or name the application here with `/onboard status --app &lt;slug&gt;` "
    "(`/onboard list` shows the slugs)."
)


@dataclass(frozen=True, slots=True)
class Shown:
    checklist: Checklist
    # Whether it was asked for in its own channel, where it is posted for everyone.
    in_its_channel: bool
    # The channel's language where it is posted there, else the asker's (shown only to them).
    language: str = ENGLISH


async def show(deps: Deps, actor: Actor, ref: AppRef, phase: int | None = None) -> Shown:
    """The checklist as it is now, for a member of the application's channel."""
    if ref is None and (actor.channel_id or "").startswith("D"):
        # No application lives in a direct message: say where they do, not "none bound here".
        raise Refusal(IN_A_DM)
    application = await access.for_member(deps, actor, ref)
    phases = len(svc.template_for(application).phases)
    if phase is not None and not 1 <= phase <= phases:
        raise Refusal(
            N_("There is no phase {phase}; phases are 1–{phases}."), phase=phase, phases=phases
        )
    in_its_channel = actor.channel_id == application.channel_id
    async with deps.runtime.sessions() as session:
        checklist = await svc.load_checklist(session, application)
        if in_its_channel:
            language = await language_svc.channel_language(
                session, application.team_id, application.channel_id
            )
    if not in_its_channel:
        language = await languages.person_language(deps, actor.team_id, actor.user_id)
    return Shown(checklist, in_its_channel, language)


@dataclass(frozen=True, slots=True)
class Marked:
    """The outcome of mark or unmark, whichever surface asked."""

    template: Template
    outcome: svc.MarkOutcome
    followup: Followup
    # Set when marking asked first (nothing changed): what it would announce, and why ask.
    asked: Question | None = None
    # For an answer to that question (`announce` given): the steps it was about (those that
    # announce), and, when it came too late to change them, who had marked them done.
    about: tuple[str, ...] = ()
    already_done_by: str | None = None


async def mark(
    deps: Deps,
    actor: Actor,
    ref: AppRef,
    steps: Sequence[str],
    *,
    force: bool = False,
    announce: bool | None = None,
) -> Marked:
    """Mark steps done. A step that announces asks first (`asked`, nothing changed) while
    earlier steps are open or the announcement lacks data, unless `force` (which also passes
    the credentials check) or the person already chose: `announce` True or False. A choice
    also says what it was about (`about`) and, when it came too late to change anything, who
    had marked it done (`already_done_by`), read in the same transaction as the mark."""
    application = await access.for_member(deps, actor, ref)
    keyring = deps.runtime.keyring

    async def unit(session: AsyncSession, current: Application) -> Marked:
        now = deps.now()
        if announce is None and not force:
            asked = await svc.announcement_question(
                session, current, steps, actor_id=actor.user_id, now=now, keyring=keyring
            )
            if asked is not None:
                nothing = svc.MarkOutcome(changed=[], unchanged=[], open_before=[])
                followup = Followup(current, redraw_checklist=False)
                return Marked(svc.template_for(current), nothing, followup, asked)
        outcome = await svc.mark_steps(
            session,
            current,
            steps,
            actor_id=actor.user_id,
            now=now,
            keyring=keyring,
            force=force,
            announce=announce is not False,
        )
        marked = _marked(current, outcome)
        if outcome.changed:  # the redrawn checklist message tells who marked what, and when
            told = dataclasses.replace(
                marked.followup,
                marked=tuple(outcome.changed),
                marked_by=actor.user_id,
                marked_at=now,
            )
            marked = dataclasses.replace(marked, followup=told)
        return marked if announce is None else _answered(marked)

    return await access.change(deps, application, unit)


def _answered(marked: Marked) -> Marked:
    """An answer to the question: what it was about, and who was first when it came late."""
    template, outcome = marked.template, marked.outcome
    numbers = sorted(
        [*outcome.changed, *outcome.unchanged], key=lambda n: template.step(n).position
    )
    about = [n for n in numbers if template.step(n).announces] or numbers
    late = not any(n in outcome.changed for n in about)
    by = outcome.already_done_by.get(about[0]) if late else None
    return dataclasses.replace(marked, about=tuple(about), already_done_by=by)


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


def skip_reason(reason: str) -> str:
    """The reason as it is kept, or a Refusal saying what a reason must be: the one check of
    it, whichever surface asked (the command parser only takes it apart)."""
    reason = reason.strip()
    if not reason:
        raise Refusal(
            N_(
                "Skipping a step needs a reason, so the team knows why it does not apply, "
                "e.g. {example}."
            ),
            example=SKIP_EXAMPLE,
        )
    if len(reason) > MAX_NOTE:
        raise Refusal(
            N_("That reason is {length} characters long; a reason can be at most {most}."),
            length=f"{len(reason):,}",
            most=f"{MAX_NOTE:,}",
        )
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
