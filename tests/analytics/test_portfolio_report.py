"""The report over 60 applications with known timestamps, against a table worked out by hand.

Period: [2026-09-02 12:00, 2026-12-01 12:00) UTC (90 days up to NOW); the previous one
[2026-06-04 12:00, 2026-09-02 12:00). Working days: the part of each UTC day that is Monday to
Friday and not a holiday of the application's region, 1 day = 24 h; so Mon 12:00 → Wed 12:00
is 0.5 + 1 + 0.5 = 2.0, and 21:36 is 0.9 of a day. Quantiles: sorted values x[0..N-1],
median = x at (N-1)/2, P90 = x at h = 0.9 (N-1), interpolating between x[floor h] and
x[floor h + 1].
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import update

from bot.analytics.figures import Period, Scope, Spread
from bot.analytics.queries import burn_up, portfolio, portfolio_report
from storage.models import Application, StepState
from tests.analytics.portfolio_fixture import NOW, PERSON, TEAM, build

PERIOD = Period(NOW - timedelta(days=90), NOW)

# ---- each kind's durations, by hand (see portfolio_fixture.KINDS for the timestamps) --------
# A ×15, no region: created Mon 09-07 12:00
#   P1 → Wed 09-09 12:00: .5 + Tue 1 + .5 = 2.0
#   P2 → Mon 09-14 12:00: .5 + Thu, Fri 2 + (weekend 0) + .5 = 3.0
#   P3 → Fri 09-18 12:00: .5 + Tue–Thu 3 + .5 = 4.0; go-live 09-07 → 09-18 = 11.0 days
#   P4 → Tue 09-22 12:00: .5 + Mon 1 + .5 = 2.0
#   P5 → Wed 09-23 12:00: 1.0; business start 09-07 → 09-23 = 16.0 days
# B ×15, no region: created Mon 10-12 12:00
#   P1 → Fri 10-16 21:36: .5 + 3 + .9 = 4.4
#   P2 → its last step skipped Tue 10-20 09:36: Fri .1 + Mon 1 + Tue .4 = 1.5
#   P3 → Thu 10-29 12:00: Tue .6 + Wed–Fri 3 + Mon–Wed 3 + Thu .5 = 7.1; go-live 17.0 days
#   P4, P5 open: 4.1 waits since Thu 10-29 12:00: .5 + Fri 1 + 4 weeks 20 + Mon 1 + .5 = 23.0
# C ×10, region CN (Fri 09-25 Mid-Autumn; Oct 1, 2, 5, 6, 7 holidays, Oct 3, 4 weekend):
#   created Mon 09-21 12:00
#   P1 → Fri 09-25 12:00: .5 + Tue–Thu 3 + Fri (holiday) 0 = 3.5
#   P2 → Thu 10-08 12:00: Mon–Wed 09-28..30 3 + Golden Week 0 + Thu .5 = 3.5
#        (6.0 without the holidays)
#   P3 → Mon 10-12 12:00: .5 + Fri 10-09 1 + .5 = 2.0; go-live 09-21 → 10-12 = 21.0 days
#   P4 → Wed 10-14 21:36: .5 + 1 + .9 = 2.4
#   P5 → Thu 10-15 12:00: .1 + .5 = 0.6; business start 09-21 → 10-15 = 24.0 days
# D1 ×4, no region, previous period: created Mon 06-08 12:00
#   P1 → Thu 06-11: 3.0; P2 → Mon 06-15: 2.0; P3 → Wed 06-24: .5 + 4 + 2 + .5 = 7.0;
#   P4 → Fri 06-26: 2.0; P5 → Mon 06-29: 1.0; go-live 16.0 days, business start 21.0 days
# D2 ×1: like D1 but P3 → Fri 06-26: .5 + 4 + 4 + .5 = 9.0; P4 → Tue 06-30: 2.0;
#   P5 → Wed 07-01: 1.0; go-live 18.0 days, business start 23.0 days
# E ×5, no region, archived 09-11: created Mon 08-24 12:00
#   P1 → Fri 08-28 12:00: 4.0 (previous period)
#   P2 → Wed 09-02 18:00 (current): Fri .5 + Mon, Tue 2 + Wed .75 = 3.25
#   P3 → Thu 09-10 12:00: Wed .25 + Thu, Fri 2 + Mon–Wed 3 + .5 = 5.75; go-live 17.0 days
# F ×6, no region: created Mon 11-02 12:00; 1.2 marked, unmarked, marked again 11-05
#   P1 → Thu 11-05 12:00: 3.0; P2 → Fri 11-13 12:00: .5 + 1 + 4 + .5 = 6.0
#   3.4 (go-live) marked 11-20 then unmarked 11-23: not live, P3 not complete
# G ×4: created Mon 11-30 00:00, nothing done.

# ---- the current period's distributions --------------------------------------------------
# to go-live: 11.0 ×15 (A), 17.0 ×20 (B, E), 21.0 ×10 (C); N = 45, F is not live
#   median x[22] = 17.0; P90 h = 39.6, x[39] = x[40] = 21.0
# to business start: 16.0 ×15 (A), 24.0 ×10 (C); N = 25: median x[12] = 16.0;
#   P90 h = 21.6: x[21] = x[22] = 24.0
# P1: 2.0 ×15 (A), 3.0 ×6 (F), 3.5 ×10 (C), 4.4 ×15 (B); N = 46 (E's was the previous period)
#   median (x[22] + x[23]) / 2 = 3.5; P90 h = 40.5: 4.4
# P2: 1.5 ×15 (B), 3.0 ×15 (A), 3.25 ×5 (E), 3.5 ×10 (C), 6.0 ×6 (F); N = 51
#   median x[25] = 3.0; P90 h = 45: x[45] = 6.0
# P3: 2.0 ×10 (C), 4.0 ×15 (A), 5.75 ×5 (E), 7.1 ×15 (B); N = 45
#   median x[22] = 4.0; P90 h = 39.6: 7.1
# P4: 2.0 ×15 (A), 2.4 ×10 (C); N = 25: median x[12] = 2.0; P90 h = 21.6: 2.4
# P5: 0.6 ×10 (C), 1.0 ×15 (A); N = 25: median x[12] = 1.0; P90 x[21..22] = 1.0
CURRENT = {
    "to_go_live": Spread(45, 17.0, 21.0),
    "to_business_start": Spread(25, 16.0, 24.0),
    1: Spread(46, 3.5, 4.4),
    2: Spread(51, 3.0, 6.0),
    3: Spread(45, 4.0, 7.1),
    4: Spread(25, 2.0, 2.4),
    5: Spread(25, 1.0, 1.0),
}
# ---- the previous period's -------------------------------------------------------------
# to go-live: 16.0 ×4, 18.0; N = 5: median x[2] = 16.0; P90 h = 3.6: 16 + .6 × 2 = 17.2
# to business start: 21.0 ×4, 23.0: median 21.0; P90 21 + .6 × 2 = 22.2
# P1: 3.0 ×5 (D), 4.0 ×5 (E); N = 10: median (x[4] + x[5]) / 2 = 3.5; P90 h = 8.1: 4.0
# P2: 2.0 ×5; P3: 7.0 ×4, 9.0: median 7.0, P90 7 + .6 × 2 = 8.2; P4: 2.0 ×5; P5: 1.0 ×5
PREVIOUS = {
    "to_go_live": Spread(5, 16.0, 17.2),
    "to_business_start": Spread(5, 21.0, 22.2),
    1: Spread(10, 3.5, 4.0),
    2: Spread(5, 2.0, 2.0),
    3: Spread(5, 7.0, 8.2),
    4: Spread(5, 2.0, 2.0),
    5: Spread(5, 1.0, 1.0),
}


def _table(figures) -> dict:
    found = {"to_go_live": figures.to_go_live, "to_business_start": figures.to_business_start}
    found.update({p.phase: p.spread for p in figures.phases})
    return found


@pytest.fixture
async def report_and_ids(sessions):
    async with sessions.begin() as session:
        ids = await build(session)
    async with sessions() as session:
        report = await portfolio_report(session, Scope(TEAM, None), PERIOD, NOW)
    return report, ids


async def test_medians_and_p90s_match_the_hand_checked_table(report_and_ids) -> None:
    report, _ = report_and_ids
    assert report.current.period == PERIOD
    assert report.previous.period == Period(PERIOD.start - timedelta(days=90), PERIOD.start)
    assert _table(report.current) == CURRENT
    assert _table(report.previous) == PREVIOUS


async def test_on_time_and_messages_sent(report_and_ids) -> None:
    report, _ = report_and_ids
    # Current: A's 1.1 (due 09-09, done 09-09: on time) and 2.1 (due 09-10, done 09-14: late)
    # ×15, G's 1.1 (due 11-30, open, past) ×4; B's skipped 2.2 and F's 3.4 (due 12-05) are
    # not counted. Previous: D's 1.1, due 06-10, done 06-11 ×5.
    assert (report.current.due_steps, report.current.on_time) == (34, 15)
    assert (report.previous.due_steps, report.previous.on_time) == (5, 0)
    # Three reminders and one escalation sent in the period (a pending one and a digest are
    # not counted); one reminder in the previous period.
    assert (report.current.reminders_sent, report.current.escalations_sent) == (3, 1)
    assert (report.previous.reminders_sent, report.previous.escalations_sent) == (1, 0)


async def test_work_in_progress_and_the_stuck_list(report_and_ids) -> None:
    report, ids = report_and_ids
    # G in phase 1, F in 3 (its unmarked 3.4), B in 4; A, C, D complete; E archived.
    assert report.in_progress_by_phase == ((1, 4), (2, 0), (3, 6), (4, 15), (5, 0))
    # B's 4.1 waited 23.0 working days (since 10-29), F's 3.4 6.0 (since its unmark on
    # Mon 11-23 12:00: .5 + 4 + 1 + .5); G's 1.1 only 1.5 (Mon 00:00 → Tue 12:00) < 2.
    stuck = [(s.application_id, s.step, s.waiting_days) for s in report.stuck]
    assert stuck == [(i, "4.1", 23.0) for i in ids["B"]] + [(i, "3.4", 6.0) for i in ids["F"]]
    assert {s.owner_id for s in report.stuck} == {"U_OWNER"}
    rows = {r.application_id: r for r in report.applications}
    assert set(rows) == set(
        ids["A"] + ids["B"] + ids["C"] + ids["D1"] + ids["D2"] + ids["F"] + ids["G"]
    )  # E is archived
    b, f, a = rows[ids["B"][0]], rows[ids["F"][0]], rows[ids["A"][0]]
    assert (b.phase, b.stuck, b.days_since_progress, b.complete_steps) == (4, True, 23.0, 15)
    # F: progress last 11-18 12:00 (3.1–3.3): .5 + Thu, Fri 2 + 5 + Mon 1 + .5 = 9.0
    assert (f.phase, f.stuck, f.days_since_progress, f.live_at) == (3, True, 9.0, None)
    # A: done 09-23 12:00: .5 + 2 + 9 weeks 45 + Mon 1 + .5 = 49.0
    assert (a.phase, a.stuck, a.days_since_progress, a.complete_steps) == (None, False, 49.0, 19)
    # Stuck first (B at 23.0, then F at 9.0), then longest without progress (D1 at 111.0 …).
    order = [r.application_id for r in report.applications]
    assert order[:21] == ids["B"][:2] + ids["B"][10:] + ids["B"][2:10] + ids["F"]
    assert order[21:25] == ids["D1"]


async def test_applications_live_week_by_week(report_and_ids) -> None:
    report, _ = report_and_ids
    # D live in June (5), E 09-10 (+5), A 09-18 (+15), C 10-12 (+10), B 10-29 (+15); F's go-live
    # was unmarked. One point every 7 days back from the period's last day, 12-01.
    points = [(p.day, p.live) for p in report.live_over_time]
    expected = [5, 10, 25, 25, 25, 35, 35, 35, 50, 50, 50, 50, 50]
    assert points == [
        (date(2026, 9, 8) + timedelta(days=7 * n), live) for n, live in enumerate(expected)
    ]


async def test_a_channel_scope_counts_only_its_applications(sessions) -> None:
    async with sessions.begin() as session:
        ids = await build(session)
    async with sessions() as session:
        report = await portfolio_report(session, Scope(TEAM, frozenset({"C2"})), PERIOD, NOW)
        other_team = await portfolio_report(session, Scope("T2", None), PERIOD, NOW)
    assert [r.application_id for r in report.applications] == ids["G"]
    assert report.current.to_go_live == Spread(0, None, None)
    assert (report.current.due_steps, report.current.reminders_sent) == (4, 0)
    assert other_team.applications == () and other_team.stuck == ()


async def test_burn_up_counts_unmarks_and_skips_from_the_history(sessions) -> None:
    async with sessions.begin() as session:
        ids = await build(session)
    async with sessions() as session:
        found = await burn_up(session, ids["F"][0], NOW)
    # F: 1.2 marked 11-03 and unmarked that evening (end of 11-03: 0); phase 1 done 11-05 and
    # 2.3 skipped 11-09 (11-10: 6); phase 2 done 11-13 (11-17: 10); 3.1–3.3 done 11-18,
    # 3.5 skipped 11-19, 3.4 marked 11-20 and unmarked 11-23 (11-24: 13 + 3.5 = 14);
    # 3.5 unskipped 11-25 (12-01: 13).
    assert [(p.day, p.complete, p.total) for p in found.points] == [
        (date(2026, 10, 13), 0, 19),
        (date(2026, 10, 20), 0, 19),
        (date(2026, 10, 27), 0, 19),
        (date(2026, 11, 3), 0, 19),
        (date(2026, 11, 10), 6, 19),
        (date(2026, 11, 17), 10, 19),
        (date(2026, 11, 24), 14, 19),
        (date(2026, 12, 1), 13, 19),
    ]


async def test_portfolio_is_the_persons_open_applications_stuck_first(sessions) -> None:
    async with sessions.begin() as session:
        ids = await build(session)
        a, b, e, f, g = (ids[k][0] for k in "ABEFG")
        await session.execute(
            update(Application).where(Application.id.in_([a, e, g])).values(owner_id=PERSON)
        )
        for app_id, step in ((b, "4.2"), (f, "1.1")):
            await session.execute(
                update(StepState)
                .where(StepState.application_id == app_id, StepState.step == step)
                .values(assignee_id=PERSON)
            )
    async with sessions() as session:
        rows = await portfolio(session, TEAM, PERSON, NOW)
    # B (stuck, 23.0 days), F (stuck, 9.0), A (49.0 without progress), G (1.5); E archived.
    assert [(r.application_id, r.stuck, r.days_since_progress) for r in rows] == [
        (b, True, 23.0),
        (f, True, 9.0),
        (a, False, 49.0),
        (g, False, 1.5),
    ]
