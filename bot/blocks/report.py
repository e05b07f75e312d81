"""`/onboard report`: a portfolio's figures as an ephemeral reply in the reader's language.

Built from a `Report` (bot/analytics/figures.py) and pure: the figures of the period beside
the previous one's, a bar chart of the working days each phase takes and a line chart of the
applications live, work in progress, the stuck list, and a table of the applications, one page
of `TABLE_PAGE` at a time (`<command> --page N` shows another). The charts and the table are
Slack's data_visualization and data_table blocks (bot/blocks/charts.py has their limits);
everything else is mrkdwn, with every name people typed escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from bot.analytics.figures import ApplicationRow, PeriodFigures, Report, Spread, StuckStep
from bot.blocks.charts import (
    MAX_CATEGORIES,
    data_table,
    day_labels,
    number_cell,
    spread_out,
    text_cell,
    xy_chart,
)
from bot.blocks.mrkdwn import escape_mrkdwn, fit_mrkdwn, person_mention, shorten, user_text
from bot.checklists import Template
from bot.i18n import Translator

MAX_TEXT = 3000  # a section's text
MAX_HEADER = 150
MAX_NAME = 80  # an application's name, escaped, in a line
MAX_TITLE = 100  # a phase's or step's title, escaped, in a line
MAX_SECTIONS = 3  # of one list (work in progress, the stuck list)
MAX_STUCK_SHOWN = 20
# Applications in the table on one page of the report, and what each cell may hold: 50 rows
# of at most ~130 characters stay well within the 10,000 characters a message's tables have.
TABLE_PAGE = 50
TABLE_ROWS_SHOWN = 10  # the rows Slack shows before its own pager
MAX_CELL_NAME = 60


def report_blocks(
    report: Report,
    template: Template,
    t: Translator,
    *,
    scope_label: str,
    page: int = 1,
    command: str = "/onboard report",
) -> tuple[str, list[dict]]:
    """(fallback text, blocks) of the report, in `t`'s language.

    `scope_label` is mrkdwn the caller built (a channel mention, or "all channels" in the
    reader's language). `page` picks the table's page of applications (past the last shows
    the last); `command` is the command as the reader typed it without `--page`, for the hint
    that shows the next page.
    """
    current, previous = report.current, report.previous
    blocks: list[dict] = [
        _header(t._("Portfolio report")),
        _context(
            t._(
                "{scope} · {start} to {end}, compared with {previous_start} to {previous_end}",
                scope=scope_label,
                start=t.day(current.period.start.date()),
                end=t.day(_last_day(current)),
                previous_start=t.day(previous.period.start.date()),
                previous_end=t.day(_last_day(previous)),
            )
        ),
    ]
    if not report.applications and _nothing_happened(current):
        blocks.append(
            _section(t._("There are no applications to report on in {scope}.", scope=scope_label))
        )
        return t._("Portfolio report: no applications"), blocks
    blocks.append(_figures(current, previous, t))
    blocks += _phase_chart(current, template, t)
    blocks += _live_chart(report, t)
    blocks.append({"type": "divider"})
    blocks += _work_in_progress(report, template, t)
    blocks += _stuck(report.stuck, template, t)
    blocks += _table(report.applications, t, page, command)
    stuck = sum(1 for a in report.applications if a.stuck)
    fallback = t.ngettext(
        "Portfolio report: {n} application, {stuck} stuck",
        "Portfolio report: {n} applications, {stuck} stuck",
        len(report.applications),
        n=len(report.applications),
        stuck=stuck,
    )
    return fallback, blocks


# ---- pieces ---------------------------------------------------------------------------------


def _header(text: str) -> dict:
    return {"type": "header", "text": {"type": "plain_text", "text": shorten(text, MAX_HEADER)}}


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": fit_mrkdwn(text, MAX_TEXT)}}


def _context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": fit_mrkdwn(text, MAX_TEXT)}]}


def line_sections(heading: str, lines: Sequence[str], most: int = MAX_SECTIONS) -> list[dict]:
    """`heading` and `lines` (mrkdwn, each well under a section's 3,000 characters) in as few
    sections as hold them, at most `most`: the last one cut with an ellipsis if they don't."""
    chunks: list[str] = [heading]
    for line in lines:
        if len(chunks[-1]) + 1 + len(line) <= MAX_TEXT:
            chunks[-1] += "\n" + line
        else:
            chunks.append(line)
    if len(chunks) > most:
        chunks = [*chunks[: most - 1], fit_mrkdwn("\n".join(chunks[most - 1 :]), MAX_TEXT)]
    return [_section(chunk) for chunk in chunks]


def _last_day(figures: PeriodFigures) -> date:
    """The period's last day: its end is exclusive."""
    return (figures.period.end - timedelta(microseconds=1)).date()


def _nothing_happened(figures: PeriodFigures) -> bool:
    return (
        figures.to_go_live.count == 0
        and figures.to_business_start.count == 0
        and all(p.spread.count == 0 for p in figures.phases)
        and figures.due_steps == 0
        and figures.reminders_sent == 0
        and figures.escalations_sent == 0
    )


def phase_name(template: Template, number: int | None, t: Translator) -> str:
    """A phase as a line names it, escaped: `2. Integration`; its number alone when the
    template has no such phase, and `Complete` for an application with every step done."""
    if number is None:
        return t._("Complete")
    try:
        title = template.phase(number).title_in(t.language)
    except KeyError:
        return str(number)
    return f"{number}. {user_text(title, MAX_TITLE)}"


def _phase_label(number: int, t: Translator) -> str:
    """A phase in a chart's category or a table's cell, where its title would not fit."""
    return t._("Phase {n}", n=number)


# ---- the figures ------------------------------------------------------------------------------


def _spread(spread: Spread, t: Translator) -> str:
    if spread.count == 0 or spread.median is None or spread.p90 is None:
        return t._("None in this period.")
    return t.ngettext(
        "Median {median} days, P90 {p90} days, over {n} application.",
        "Median {median} days, P90 {p90} days, over {n} applications.",
        spread.count,
        median=t.number(spread.median),
        p90=t.number(spread.p90),
        n=spread.count,
    )


def _change(now: Spread, before: Spread, t: Translator) -> str:
    """How the median moved since the previous period."""
    if before.count == 0 or before.median is None:
        return t._("Previous period: none.")
    if now.count == 0 or now.median is None:
        return t._("Previous period: median {before} days.", before=t.number(before.median))
    difference = round(now.median - before.median, 1)
    if difference > 0:
        return t._(
            "{days} days slower than the previous period (median {before}).",
            days=t.number(difference),
            before=t.number(before.median),
        )
    if difference < 0:
        return t._(
            "{days} days faster than the previous period (median {before}).",
            days=t.number(-difference),
            before=t.number(before.median),
        )
    return t._("The same as the previous period.")


def _on_time(figures: PeriodFigures, t: Translator) -> str:
    if figures.on_time_rate is None:
        return t._("No step was due in this period.")
    return t.ngettext(
        "{rate} of {n} step due was done on time.",
        "{rate} of {n} steps due were done on time.",
        figures.due_steps,
        rate=t.percent(figures.on_time_rate),
        n=figures.due_steps,
    )


def _on_time_before(figures: PeriodFigures, t: Translator) -> str:
    if figures.on_time_rate is None:
        return t._("Previous period: no step due.")
    return t._("Previous period: {rate}.", rate=t.percent(figures.on_time_rate))


def _field(title: str, *lines: str) -> dict:
    return {"type": "mrkdwn", "text": "\n".join([f"*{title}*", *lines])}


def _count(n: int) -> str:
    return f"{n:,}"


def _figures(current: PeriodFigures, previous: PeriodFigures, t: Translator) -> dict:
    sent = t._("Previous period: {n}.", n=_count(previous.reminders_sent))
    escalated = t._("Previous period: {n}.", n=_count(previous.escalations_sent))
    return {
        "type": "section",
        "fields": [
            _field(
                t._("Days to go-live"),
                _spread(current.to_go_live, t),
                _change(current.to_go_live, previous.to_go_live, t),
            ),
            _field(
                t._("Days to business start"),
                _spread(current.to_business_start, t),
                _change(current.to_business_start, previous.to_business_start, t),
            ),
            _field(t._("Steps done on time"), _on_time(current, t), _on_time_before(previous, t)),
            _field(t._("Reminders sent"), _count(current.reminders_sent), sent),
            _field(t._("Escalations sent"), _count(current.escalations_sent), escalated),
        ],
    }


# ---- the charts ----------------------------------------------------------------------------


def _phase_chart(figures: PeriodFigures, template: Template, t: Translator) -> list[dict]:
    """A bar chart of each phase's median and P90 working days, for the phases finished in
    the period; past 20 (what a chart takes), the 20 slowest."""
    finished = [p for p in figures.phases if p.spread.count and p.spread.median is not None]
    if not finished:
        return [_section(t._("No application finished a phase in this period."))]
    shown = finished
    if len(finished) > MAX_CATEGORIES:
        slowest = sorted(finished, key=lambda p: -(p.spread.median or 0))[:MAX_CATEGORIES]
        shown = sorted(slowest, key=lambda p: p.phase)
    chart = xy_chart(
        "bar",
        t._("Working days in each phase"),
        [_phase_label(p.phase, t) for p in shown],
        [
            (t._("Median"), [p.spread.median or 0.0 for p in shown]),
            (t._("P90"), [p.spread.p90 or 0.0 for p in shown]),
        ],
        x_label=t._("Phase"),
        y_label=t._("Working days"),
    )
    blocks = [chart]
    if len(shown) < len(finished):
        blocks.append(
            _context(
                t._(
                    "The chart shows the {shown} slowest of the {n} phases finished.",
                    shown=len(shown),
                    n=len(finished),
                )
            )
        )
    return blocks


def _live_chart(report: Report, t: Translator) -> list[dict]:
    points = report.live_over_time
    if not points:
        return []
    points = tuple(points[i] for i in spread_out([p.day for p in points]))
    return [
        xy_chart(
            "line",
            t._("Applications live"),
            day_labels([p.day for p in points], t),
            [(t._("Live"), [p.live for p in points])],
            y_label=t._("Applications"),
        )
    ]


# ---- work in progress and the stuck list -----------------------------------------------------


def _work_in_progress(report: Report, template: Template, t: Translator) -> list[dict]:
    lines = [
        "• "
        + t.ngettext(
            "{phase}: {n} application",
            "{phase}: {n} applications",
            count,
            phase=phase_name(template, phase, t),
            n=count,
        )
        for phase, count in report.in_progress_by_phase
        if count
    ]
    heading = "*" + t._("Work in progress") + "*"
    if not lines:
        return [_section(heading + "\n" + t._("No application is in progress."))]
    return line_sections(heading, lines)


def _step_title(template: Template, number: str, t: Translator) -> str:
    if not template.has_step(number):
        return f"*{escape_mrkdwn(number)}*"
    title = template.step(number).title_in(t.language)
    return f"*{escape_mrkdwn(number)}* _{user_text(title, MAX_TITLE)}_"


def stuck_line(step: StuckStep, template: Template, t: Translator) -> str:
    return "• " + t._(
        "*{app}* · {step}: waiting {days} working days since {day}, {owner}",
        app=user_text(step.application, MAX_NAME),
        step=_step_title(template, step.step, t),
        days=t.number(step.waiting_days),
        day=t.short_day(step.waiting_since.date()),
        owner=person_mention(step.owner_id, t),
    )


def _stuck(stuck: Sequence[StuckStep], template: Template, t: Translator) -> list[dict]:
    heading = "*" + t._("Stuck") + "*"
    if not stuck:
        return [_section(heading + "\n" + t._("Nothing is stuck."))]
    shown = stuck[:MAX_STUCK_SHOWN]
    blocks = line_sections(heading, [stuck_line(s, template, t) for s in shown])
    if len(stuck) > len(shown):
        more = len(stuck) - len(shown)
        blocks.append(
            _context(
                t.ngettext(
                    "…and {n} more stuck step; the table below flags every stuck application.",
                    "…and {n} more stuck steps; the table below flags every stuck application.",
                    more,
                    n=more,
                )
            )
        )
    return blocks


# ---- the table of applications ---------------------------------------------------------------


def pages(applications: Sequence[ApplicationRow]) -> int:
    """How many pages the table of `applications` takes (at least one)."""
    return max(1, -(-len(applications) // TABLE_PAGE))


def _row(a: ApplicationRow, t: Translator) -> list[dict]:
    phase = t._("Complete") if a.phase is None else _phase_label(a.phase, t)
    return [
        text_cell(a.application, MAX_CELL_NAME),
        text_cell(phase, 30),
        number_cell(a.complete_steps, f"{a.complete_steps}/{a.total_steps}"),
        number_cell(a.days_since_progress, t.number(a.days_since_progress)),
        text_cell(t._("Stuck") if a.stuck else "—", 20),
    ]


def _table(
    applications: Sequence[ApplicationRow], t: Translator, page: int, command: str
) -> list[dict]:
    if not applications:
        return [_section(t._("No application is open in this scope."))]
    last = pages(applications)
    page = min(max(page, 1), last)
    first = (page - 1) * TABLE_PAGE
    shown = applications[first : first + TABLE_PAGE]
    header = [
        t._("Application"),
        t._("Phase"),
        t._("Steps complete"),
        t._("Working days since progress"),
        t._("Stuck"),
    ]
    caption = t._(
        "Applications {first}–{last} of {n}",
        first=first + 1,
        last=first + len(shown),
        n=len(applications),
    )
    blocks = [
        data_table(
            caption,
            header,
            [_row(a, t) for a in shown],
            page_size=TABLE_ROWS_SHOWN,
        )
    ]
    code = escape_mrkdwn(command)
    if page < last:
        more = len(applications) - first - len(shown)
        blocks.append(
            _context(
                t.ngettext(
                    "…and {n} more application: `{command} --page {next}` shows page {next} "
                    "of {pages}.",
                    "…and {n} more applications: `{command} --page {next}` shows page {next} "
                    "of {pages}.",
                    more,
                    n=more,
                    command=code,
                    next=page + 1,
                    pages=last,
                )
            )
        )
    elif last > 1:
        blocks.append(
            _context(
                t._(
                    "Page {page} of {pages}: `{command}` shows the first again.",
                    page=page,
                    pages=last,
                    command=code,
                )
            )
        )
    return blocks
