"""The weekly digest's burn-up, for every channel of a digest pass at once.

A channel's burn-up is `queries.burn_up` summed over its applications (not archived, as the
digest shows them): at the end of today (UTC) and of the same weekday in each of the weeks
before, the steps complete (done or skipped, from the history, so an unmark or an unskip
counts only while it lasted) against the steps of the applications that existed by then.
Two statements for any number of channels: one for the steps complete, one for the totals.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import and_, case, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from bot.analytics.figures import BurnUp, BurnUpPoint
from bot.analytics.queries import DONE_KINDS, SKIP_KINDS, weekly_cutoffs
from storage.models import Application, Event, StepState

Channel = tuple[str, str]  # (team_id, channel_id)


async def channel_burn_ups(
    session: AsyncSession, channels: Collection[Channel], now: datetime, weeks: int = 8
) -> dict[Channel, BurnUp]:
    """Each channel's burn-up, a point a week for `weeks` weeks ending today, oldest first;
    a channel without applications has points of 0 against 0."""
    if not channels:
        return {}
    days, cutoffs = weekly_cutoffs(now, weeks)
    a, e = Application, Event
    in_channels = and_(
        tuple_(a.team_id, a.channel_id).in_(sorted(set(channels))), a.archived_at.is_(None)
    )
    # Each step's latest done/undone and skipped/unskipped event before each cut-off.
    axis = case((e.kind.in_(DONE_KINDS), "done"), else_="skip")
    latest = (
        select(
            cutoffs.c.i,
            e.application_id,
            e.step,
            e.kind,
            func.row_number()
            .over(partition_by=(cutoffs.c.i, e.application_id, e.step, axis), order_by=e.id.desc())
            .label("rank"),
        )
        .join(a, a.id == e.application_id)
        .join(cutoffs, e.created_at < cutoffs.c.at)
        .where(in_channels, e.kind.in_(DONE_KINDS + SKIP_KINDS), e.step.is_not(None))
        .subquery("latest")
    )
    # A step is complete at a cut-off when either of its latest events says so: count it once.
    per_step = (
        select(
            latest.c.i,
            latest.c.application_id,
            func.max(case((latest.c.kind.in_(("marked", "skipped")), 1), else_=0)).label("done"),
        )
        .where(latest.c.rank == 1)
        .group_by(latest.c.i, latest.c.application_id, latest.c.step)
        .subquery("per_step")
    )
    complete_query = (
        select(a.team_id, a.channel_id, per_step.c.i, func.sum(per_step.c.done))
        .join(per_step, per_step.c.application_id == a.id)
        .group_by(a.team_id, a.channel_id, per_step.c.i)
    )
    complete = {
        (team, channel, i): int(n or 0)
        for team, channel, i, n in (await session.execute(complete_query)).all()
    }
    total_query = (
        select(a.team_id, a.channel_id, cutoffs.c.i, func.count())
        .select_from(a)
        .join(StepState, StepState.application_id == a.id)
        .join(cutoffs, a.created_at < cutoffs.c.at)
        .where(in_channels)
        .group_by(a.team_id, a.channel_id, cutoffs.c.i)
    )
    total = {
        (team, channel, i): n for team, channel, i, n in (await session.execute(total_query)).all()
    }
    return {
        (team, channel): BurnUp(
            tuple(
                BurnUpPoint(
                    day=day,
                    complete=complete.get((team, channel, i), 0),
                    total=total.get((team, channel, i), 0),
                )
                for i, day in enumerate(days)
            )
        )
        for team, channel in channels
    }
