"""`/onboard report`, App Home's portfolio and the digest's burn-up, built from figures made
by hand: what they say, in English and Chinese, within Slack's limits at any size, with every
name people typed shown as typed and never as a mention."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from slack_sdk.models.views import View

from bot.analytics.figures import (
    ApplicationRow,
    BurnUpPoint,
    PeriodFigures,
    PhaseSpread,
    Report,
    Spread,
)
from bot.blocks import notifications
from bot.blocks.portfolio import MAX_PORTFOLIO, portfolio_blocks
from bot.blocks.report import TABLE_PAGE, report_blocks
from bot.checklists import get_template
from bot.i18n import translator
from bot.outbox_messages import Digest
from tests.blocks import catalogue
from tests.blocks.catalogue import ASSIGNEE, TODAY, Texts, report_of
from tests.blocks.slack_limits import (
    as_dict,
    assert_no_injection,
    check_message,
    check_view,
    mrkdwn_fields,
)
from tests.i18n_checks import english_sentences, shown_texts

EN, ZH = translator("en"), translator("zh-CN")
SCOPE = "<#CPAY>"
HOSTILE = "<!channel> *bold* & _R&D_ <@U999> `code`"


PLAIN = Texts()


def build(report: Report, t=EN, texts: Texts = PLAIN, **kwargs) -> tuple[str, list[dict]]:
    text, blocks = report_blocks(report, catalogue.template(texts), t, scope_label=SCOPE, **kwargs)
    check_message(text, blocks, reply=True)
    for shown in mrkdwn_fields(text, blocks):
        assert_no_injection(shown, users={ASSIGNEE}, channels={"CPAY"})
    return text, blocks


def of_type(blocks: list[dict], kind: str) -> list[dict]:
    return [b for b in blocks if b["type"] == kind]


def texts_of(blocks: list[dict]) -> str:
    return "\n".join(shown_texts(blocks))


def table_names(blocks: list[dict]) -> list[str]:
    (table,) = of_type(blocks, "data_table")
    return [row[0]["text"] for row in table["rows"][1:]]


# ---- what the report says --------------------------------------------------------------------


def test_the_report_gives_each_figure_beside_the_previous_periods() -> None:
    text, blocks = build(report_of(Texts(applications=12)))

    assert text == "Portfolio report: 12 applications, 3 stuck"
    assert blocks[0]["text"]["text"] == "Portfolio report"
    assert blocks[1]["elements"][0]["text"] == (
        "<#CPAY> · Tue, Sep 1, 2026 to Mon, Nov 30, 2026, "
        "compared with Wed, Jun 3, 2026 to Tue, Sep 1, 2026"
    )
    fields = [f["text"] for f in blocks[2]["fields"]]
    assert fields == [
        "*Days to go-live*\nMedian 40.0 days, P90 75.0 days, over 5 applications.\n"
        "8.0 days faster than the previous period (median 48.0).",
        "*Days to business start*\nMedian 55.0 days, P90 90.5 days, over 2 applications.\n"
        "11.0 days faster than the previous period (median 66.0).",
        "*Steps done on time*\n80% of 20 steps due were done on time.\nPrevious period: 95%.",
        "*Reminders sent*\n14\nPrevious period: 14.",
        "*Escalations sent*\n2\nPrevious period: 2.",
    ]


def test_a_slower_period_and_one_without_a_previous_say_so() -> None:
    report = report_of(Texts())
    slower = dataclasses.replace(
        report.current, to_go_live=Spread(4, 50.25, 80.0), to_business_start=Spread(1, 9.0, 9.0)
    )
    previous = dataclasses.replace(report.previous, to_business_start=Spread(0, None, None))
    _, blocks = build(dataclasses.replace(report, current=slower, previous=previous))
    fields = [f["text"] for f in blocks[2]["fields"]]
    assert fields[0].endswith("\n2.2 days slower than the previous period (median 48.0).")
    assert fields[1] == (
        "*Days to business start*\nMedian 9.0 days, P90 9.0 days, over 1 application.\n"
        "Previous period: none."
    )


def test_two_charts_median_and_p90_per_phase_and_applications_live() -> None:
    report = report_of(Texts(applications=12))
    _, blocks = build(report)
    bar, line = of_type(blocks, "data_visualization")

    assert bar["title"] == "Working days in each phase"
    assert bar["chart"]["axis_config"]["categories"] == [f"Phase {n}" for n in range(1, 6)]
    median, p90 = bar["chart"]["series"]
    assert median["name"] == "Median" and p90["name"] == "P90"
    assert [p["value"] for p in median["data"]] == [1.5, 3.0, 4.5, 6.0, 7.5]
    assert [p["value"] for p in p90["data"]] == [3.0, 6.0, 9.0, 12.0, 15.0]

    (live,) = line["chart"]["series"]
    points = report.live_over_time
    assert len(points) == 21 and len(live["data"]) == 20  # a chart takes 20 points
    assert live["data"][0] == {"label": "Jul 6", "value": 0}
    assert live["data"][-1] == {"label": "Nov 23", "value": points[-1].live}


def test_sixty_phases_chart_the_twenty_slowest_and_say_so() -> None:
    texts = Texts(sizes=(1,) * 60, applications=20)
    _, blocks = build(report_of(texts), texts=texts)
    (bar, _) = of_type(blocks, "data_visualization")
    assert bar["chart"]["axis_config"]["categories"] == [f"Phase {n}" for n in range(41, 61)]
    note = blocks[blocks.index(bar) + 1]
    assert note["elements"][0]["text"] == (
        "The chart shows the 20 slowest of the 60 phases finished."
    )


def test_work_in_progress_and_the_stuck_list_oldest_first_with_owners() -> None:
    texts = Texts(applications=40, name=HOSTILE)
    report = report_of(texts)
    _, blocks = build(report, texts=texts)
    shown = texts_of(blocks)

    assert "*Work in progress*\n• 1. Integration preparation: 1 application\n" in shown
    assert "• 2. Integration preparation: 2 applications" in shown
    assert "3. Integration preparation" not in shown  # nobody is in phase 3
    first = (
        "• *&lt;!channel&gt; *bold* &amp; _R&amp;D_ &lt;@U999&gt; `code`* · *1.1* "
        "_Sign up and log in to the Developer Center 1.1_: waiting 22.0 working days since "
        f"Sat, Oct 31, <@{ASSIGNEE}>"
    )
    assert "*Stuck*\n" + first in shown
    # Of 30 stuck steps, 20 are listed, oldest first; the others are counted.
    assert shown.count(f"<@{ASSIGNEE}>") == 20
    assert shown.index("waiting 22.0") < shown.index("waiting 3.0")
    assert "waiting 2.0" not in shown
    assert "…and 10 more stuck steps; the table below flags every stuck application." in shown


def test_the_table_shows_names_as_typed_and_flags_the_stuck() -> None:
    texts = Texts(applications=9, name=HOSTILE)
    _, blocks = build(report_of(texts), texts=texts)
    (table,) = of_type(blocks, "data_table")
    header, *rows = table["rows"]

    assert [c["text"] for c in header] == [
        "Application",
        "Phase",
        "Steps complete",
        "Working days since progress",
        "Stuck",
    ]
    assert table["caption"] == "Applications 1–9 of 9" and table["page_size"] == 9
    # A raw_text cell is plain text: the name as typed, nothing escaped.
    assert rows[3] == [
        {"type": "raw_text", "text": HOSTILE},
        {"type": "raw_text", "text": "Phase 5"},
        {"type": "raw_number", "value": 4, "text": "4/19"},
        {"type": "raw_number", "value": 2.8, "text": "2.8"},
        {"type": "raw_text", "text": "Stuck"},
    ]
    assert rows[8][1]["text"] == "Complete" and rows[0][4]["text"] == "—"


def test_five_hundred_applications_come_in_pages_of_fifty_each_within_the_limits() -> None:
    texts = Texts(applications=500, name="N" * 45 + " & <Sons>")
    report = report_of(texts)
    report = dataclasses.replace(
        report,
        applications=tuple(
            dataclasses.replace(a, application=f"{a.slug} {a.application}")
            for a in report.applications
        ),
    )
    seen = []
    for page in range(1, 11):
        _, blocks = build(report, texts=texts, page=page)
        names = table_names(blocks)
        assert len(names) == TABLE_PAGE == 50
        assert all(len(n) <= 60 for n in names)
        seen += [n.split(" ")[0] for n in names]
        footer = blocks[-1]["elements"][0]["text"]
        if page < 10:
            assert footer == (
                f"…and {500 - 50 * page} more applications: `/onboard report --page "
                f"{page + 1}` shows page {page + 1} of 10."
            )
        else:
            assert footer == "Page 10 of 10: `/onboard report` shows the first again."
    assert seen == [a.slug for a in report.applications]
    # Past the last page: the last page.
    assert table_names(build(report, texts=texts, page=11)[1]) == table_names(
        build(report, texts=texts, page=10)[1]
    )


def test_the_page_hint_repeats_the_command_as_typed() -> None:
    _, blocks = build(report_of(Texts(applications=60)), command="/onboard report --since 30d")
    assert blocks[-1]["elements"][0]["text"] == (
        "…and 10 more applications: `/onboard report --since 30d --page 2` shows page 2 of 2."
    )


def test_an_empty_report_says_there_is_nothing_to_report() -> None:
    report = report_of(Texts())
    nothing = PeriodFigures(report.current.period, *[Spread(0, None, None)] * 2, (), 0, 0, 0, 0)
    empty = Report(
        nothing, dataclasses.replace(nothing, period=report.previous.period), (), (), (), ()
    )
    text, blocks = build(empty)
    assert text == "Portfolio report: no applications"
    assert [b["type"] for b in blocks] == ["header", "context", "section"]
    assert blocks[2]["text"]["text"] == "There are no applications to report on in <#CPAY>."
    text, blocks = build(empty, ZH)
    assert blocks[2]["text"]["text"] == "<#CPAY> 中没有可报告的应用。"


def test_applications_with_nothing_done_in_the_period_read_well() -> None:
    report = report_of(Texts(applications=3))
    quiet = PeriodFigures(
        report.current.period,
        Spread(0, None, None),
        Spread(0, None, None),
        (PhaseSpread(1, Spread(0, None, None)),),
        0,
        0,
        0,
        0,
    )
    quiet_report = dataclasses.replace(
        report, current=quiet, previous=quiet, stuck=(), live_over_time=()
    )
    _, blocks = build(quiet_report)
    shown = texts_of(blocks)
    assert "*Days to go-live*\nNone in this period.\nPrevious period: none." in shown
    assert (
        "*Steps done on time*\nNo step was due in this period.\nPrevious period: no step due."
        in shown
    )
    assert "No application finished a phase in this period." in shown
    assert "*Stuck*\nNothing is stuck." in shown
    assert of_type(blocks, "data_visualization") == []
    assert len(table_names(blocks)) == 3


# ---- in Chinese ----------------------------------------------------------------------------


def test_the_report_in_chinese_with_the_builtin_templates_titles() -> None:
    template = get_template()
    texts = Texts(applications=30)
    report = report_of(texts)
    report = dataclasses.replace(
        report,
        stuck=tuple(dataclasses.replace(s, step="2.1") for s in report.stuck),
        in_progress_by_phase=tuple((p.number, 2) for p in template.phases),
    )
    text, blocks = report_blocks(report, template, ZH, scope_label=SCOPE)
    check_message(text, blocks, reply=True)
    shown = [text, *shown_texts(blocks)]
    typed = [texts.name, *(s.title_in("zh-CN") for s in template.steps)]
    assert [s for each in shown for s in english_sentences(each, typed)] == []
    joined = "\n".join(shown)
    assert "中位数 40.0 天，P90 75.0 天，共 5 个应用。" in joined
    assert "比上期快 8.0 天（上期中位数 48.0 天）。" in joined
    assert "20 个到期步骤中有 80% 按时完成。" in joined
    assert f"1. {template.phase(1).title_in('zh-CN')}：2 个应用" in joined
    assert (
        "7月6日" in of_type(blocks, "data_visualization")[1]["chart"]["axis_config"]["categories"]
    )


# ---- App Home's portfolio --------------------------------------------------------------------


def _rows(n: int, name: str = "Acme POS") -> tuple[ApplicationRow, ...]:
    return report_of(Texts(applications=n, name=name)).applications


def test_the_portfolio_lists_stuck_first_then_longest_without_progress() -> None:
    blocks = [as_dict(b) for b in portfolio_blocks(_rows(6, HOSTILE), EN)]
    check_view({"type": "home", "blocks": blocks})
    (section,) = blocks
    name = "&lt;!channel&gt; *bold* &amp; _R&amp;D_ &lt;@U999&gt; `code`"
    assert section["text"]["text"].split("\n") == [
        "*Your portfolio*",
        f"• :warning: *{name}*: stuck in phase 5, 2.8 working days since the last progress",
        f"• *{name}*: phase 2, 4.2 working days since the last progress",
        f"• *{name}*: phase 1, 3.5 working days since the last progress",
        f"• *{name}*: phase 4, 2.1 working days since the last progress",
        f"• *{name}*: phase 3, 1.4 working days since the last progress",
        f"• *{name}*: phase 2, 0.7 working days since the last progress",
    ]
    assert_no_injection(section["text"]["text"])


def test_a_long_portfolio_is_capped_for_home() -> None:
    rows = _rows(300, "R&D <POS> & Sons " * 12)
    blocks = portfolio_blocks(rows, EN)
    data = check_view(View(type="home", blocks=blocks))
    lines = [
        line
        for b in data["blocks"]
        if b["type"] == "section"
        for line in b["text"]["text"].split("\n")
    ]
    assert len([line for line in lines if line.startswith("• ")]) == MAX_PORTFOLIO
    assert len(data["blocks"]) <= 4
    assert data["blocks"][-1]["elements"][0]["text"] == (
        "…and 275 more applications; `/onboard report` shows them all."
    )
    assert portfolio_blocks((), EN) == []


def test_the_portfolio_in_chinese() -> None:
    rows = _rows(30)
    blocks = [as_dict(b) for b in portfolio_blocks(rows, ZH)]
    shown = shown_texts(blocks)
    assert [s for each in shown for s in english_sentences(each, ["Acme POS"])] == []
    assert "*Acme POS*：卡在第 5 阶段，距上次进展 2.8 个工作日" in "\n".join(shown)


# ---- the weekly digest's burn-up -------------------------------------------------------------


def _digest(points: tuple[BurnUpPoint, ...], language: str = "en", apps: int = 2) -> Digest:
    (message,) = [m for m in catalogue.outbox_messages(Texts()) if isinstance(m, Digest)]
    sections = (message.applications[0],) * apps
    return dataclasses.replace(message, burn_up=points, language=language, applications=sections)


WEEKS = tuple(
    BurnUpPoint(TODAY - timedelta(weeks=9 - w), complete=5 * w, total=95) for w in range(10)
)


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_the_weekly_digest_draws_the_last_eight_weeks(language: str) -> None:
    text, blocks = notifications.render(_digest(WEEKS, language, apps=20))
    dicts = check_message(text, blocks)
    (chart,) = of_type(dicts, "data_visualization")
    assert dicts[1] is chart or dicts[1] == chart  # right under the header
    complete, total = chart["chart"]["series"]
    assert [p["value"] for p in complete["data"]] == [10, 15, 20, 25, 30, 35, 40, 45]
    assert [p["value"] for p in total["data"]] == [95] * 8
    labels = chart["chart"]["axis_config"]["categories"]
    first = WEEKS[2].day
    if language == "en":
        assert chart["title"] == "Steps complete, last 8 weeks"
        assert [complete["name"], total["name"]] == ["Complete", "Total"]
        assert labels[0] == f"{first:%b} {first.day}"
    else:
        assert chart["title"] == "最近 8 周已完成的步骤"
        assert labels[0] == f"{first.month}月{first.day}日"
        typed = [Texts().name, Texts().title, Texts().value]
        assert [s for t in shown_texts(dicts) for s in english_sentences(t, typed)] == []


def test_a_digest_without_points_has_no_chart() -> None:
    _, blocks = notifications.render(_digest(()))
    assert not [b for b in blocks if isinstance(b, dict)]


def test_a_burn_up_across_new_year_labels_its_days_in_full() -> None:
    points = tuple(
        BurnUpPoint(date(2026, 12, 14) + timedelta(weeks=w), complete=w, total=9) for w in range(4)
    )
    _, blocks = notifications.render(_digest(points))
    (chart,) = [b for b in blocks if isinstance(b, dict)]
    assert chart["chart"]["axis_config"]["categories"] == [
        "2026-12-14",
        "2026-12-21",
        "2026-12-28",
        "2027-01-04",
    ]
