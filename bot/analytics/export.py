"""The portfolio report as files for a BI tool: pure functions over a `Report`.

CSV: one table, a row per (period, phase) figure and a row per application, told apart by
the `section` column; JSON: the same figures as one document. Durations as in figures.py.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime

from bot.analytics.figures import ApplicationRow, PeriodFigures, Report, Spread

CSV_COLUMNS = (
    "section",
    "period_start",
    "period_end",
    "figure",
    "phase",
    "count",
    "median",
    "p90",
    "value",
    "application_id",
    "application",
    "slug",
    "channel_id",
    "current_phase",
    "complete_steps",
    "total_steps",
    "last_progress_at",
    "days_since_progress",
    "stuck",
    "live_at",
    "business_started_at",
)


def _when(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


def _spread(spread: Spread) -> dict:
    return {"count": spread.count, "median": spread.median, "p90": spread.p90}


def _period(figures: PeriodFigures) -> dict:
    return {
        "start": _when(figures.period.start),
        "end": _when(figures.period.end),
        "days_to_go_live": _spread(figures.to_go_live),
        "days_to_business_start": _spread(figures.to_business_start),
        "working_days_per_phase": [{"phase": p.phase, **_spread(p.spread)} for p in figures.phases],
        "due_steps": figures.due_steps,
        "on_time": figures.on_time,
        "on_time_rate": figures.on_time_rate,
        "reminders_sent": figures.reminders_sent,
        "escalations_sent": figures.escalations_sent,
    }


def _application(row: ApplicationRow) -> dict:
    return {
        "application_id": row.application_id,
        "application": row.application,
        "slug": row.slug,
        "channel_id": row.channel_id,
        "current_phase": row.phase,
        "complete_steps": row.complete_steps,
        "total_steps": row.total_steps,
        "last_progress_at": _when(row.last_progress_at),
        "days_since_progress": row.days_since_progress,
        "stuck": row.stuck,
        "live_at": _when(row.live_at),
        "business_started_at": _when(row.business_started_at),
    }


def report_json(report: Report) -> str:
    document = {
        "current": _period(report.current),
        "previous": _period(report.previous),
        "in_progress_by_phase": [
            {"phase": p, "applications": n} for p, n in report.in_progress_by_phase
        ],
        "stuck": [
            {
                "application_id": s.application_id,
                "application": s.application,
                "slug": s.slug,
                "step": s.step,
                "owner_id": s.owner_id,
                "waiting_since": _when(s.waiting_since),
                "waiting_days": s.waiting_days,
            }
            for s in report.stuck
        ],
        "applications": [_application(r) for r in report.applications],
        "live_over_time": [{"day": _when(p.day), "live": p.live} for p in report.live_over_time],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def report_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for name, figures in (("current", report.current), ("previous", report.previous)):
        base = {
            "section": name,
            "period_start": _when(figures.period.start),
            "period_end": _when(figures.period.end),
        }
        spreads = [("days_to_go_live", None, figures.to_go_live)]
        spreads.append(("days_to_business_start", None, figures.to_business_start))
        spreads += [("working_days_in_phase", p.phase, p.spread) for p in figures.phases]
        for figure, phase, spread in spreads:
            writer.writerow({**base, "figure": figure, "phase": phase, **_spread(spread)})
        for figure, value in (
            ("due_steps", figures.due_steps),
            ("on_time", figures.on_time),
            ("reminders_sent", figures.reminders_sent),
            ("escalations_sent", figures.escalations_sent),
        ):
            writer.writerow({**base, "figure": figure, "value": value})
    for row in report.applications:
        writer.writerow({"section": "application", **_application(row)})
    return out.getvalue()


def render(report: Report, fmt: str) -> str:
    return report_json(report) if fmt == "json" else report_csv(report)
