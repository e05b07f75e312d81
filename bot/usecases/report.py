"""`/onboard report`: the portfolio's figures, over the applications the reader may see.

Who may see what is decided here, once, as a `Scope`: by default the workspace's channels
the reader is in (one cached `users.conversations`); `--channel` one channel the reader is in
(a channel they are not in, or one Slack will not tell about, is refused with the same words,
so the refusal tells nothing of it); `--all` every channel, for the workspace's admins and
owners (`users.info`). Applications are always those of the reader's own workspace.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from bot.analytics import queries
from bot.analytics.figures import Period, Report, Scope
from bot.checklists import Template, get_template
from bot.command_parser.commands import MAX_REPORT_DAYS, REPORT_DAYS
from bot.i18n import N_
from bot.services.errors import Refusal
from bot.usecases.access import is_channel_member
from bot.usecases.context import Actor, Deps, today_for

NOT_YOUR_CHANNEL = N_(
    "I can only report on a channel you are in, and I can't see you in <#{channel}>. Join"
    " it (and `/invite @Onboard` there if it is private), or leave out `--channel` for all of"
    " your channels."
)
ADMINS_ONLY = N_(
    "Only the workspace's admins and owners can see the report of the whole workspace"
    " (`--all`). Leave it out for the applications of your channels, or name one with"
    " `--channel #channel`."
)
NO_CHANNELS = N_(
    "I can't see any channel you are in, so there is nothing to report on. Run `/onboard"
    " report` after joining your team's channel (and `/invite @Onboard` there if it is"
    " private)."
)


@dataclass(frozen=True, slots=True)
class Reported:
    """The report, and what it covers: `scope` and `period` as they were resolved."""

    report: Report
    scope: Scope
    period: Period
    template: Template  # whose phase and step titles the report shows


async def report(
    deps: Deps,
    actor: Actor,
    *,
    since: int | date,
    channel_id: str | None = None,
    everywhere: bool = False,
) -> Reported:
    """The figures since `since` (days back from now, or a first day in the reader's time
    zone) for the scope the reader asked for and may see; refused otherwise."""
    scope = await scope_for(deps, actor, channel_id=channel_id, everywhere=everywhere)
    period = await period_for(deps, actor, since)
    # Over many applications this may take a while: on SQLite, in a worker thread.
    async with deps.runtime.long_reads() as session:
        figures = await queries.portfolio_report(session, scope, period, deps.now())
    return Reported(figures, scope, period, get_template())


async def scope_for(
    deps: Deps, actor: Actor, *, channel_id: str | None = None, everywhere: bool = False
) -> Scope:
    """Which applications the reader may see in the report they asked for."""
    directory = deps.runtime.directory
    if everywhere:
        person = await directory.person(deps.client, actor.team_id, actor.user_id)
        if person is None or not person.is_admin:
            raise Refusal(ADMINS_ONLY)
        return Scope(actor.team_id, None)
    if channel_id is not None:
        # False (not a member) and None (Slack won't say) get the same answer.
        if not await is_channel_member(deps, actor.team_id, actor.user_id, channel_id):
            raise Refusal(NOT_YOUR_CHANNEL, channel=channel_id)
        return Scope(actor.team_id, frozenset({channel_id}))
    channels = await directory.channels_of(deps.client, actor.team_id, actor.user_id)
    if not channels:
        raise Refusal(NO_CHANNELS)
    return Scope(actor.team_id, channels)


async def period_for(deps: Deps, actor: Actor, since: int | date) -> Period:
    """From `since` until now: `since` days back, or from the start of a day in the reader's
    time zone, which must be before their today and at most MAX_REPORT_DAYS back."""
    now = deps.now()
    if isinstance(since, int):
        return Period(now - timedelta(days=since), now)
    today = await today_for(deps, actor)
    if since >= today.date:
        raise Refusal(
            N_(
                "{day} is not in the past: a report covers the time from a day before today"
                " until now, e.g. `--since {example}`."
            ),
            day=since.isoformat(),
            example=(today.date - timedelta(days=REPORT_DAYS)).isoformat(),
        )
    if (today.date - since).days > MAX_REPORT_DAYS:
        raise Refusal(
            N_(
                "{day} is more than {most} days ago; a report reaches back about two years at"
                " most, to {first}."
            ),
            day=since.isoformat(),
            most=MAX_REPORT_DAYS,
            first=(today.date - timedelta(days=MAX_REPORT_DAYS)).isoformat(),
        )
    start = datetime.combine(since, time(0), tzinfo=today.zone or UTC)
    return Period(start.astimezone(UTC), now)
