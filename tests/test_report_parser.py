"""`/onboard report [--since 90d|12w|YYYY-MM-DD] [--channel #x | --all] [--page N]`: what it
reads, and for anything else a message saying what was wrong and what is valid."""

from __future__ import annotations

from datetime import date

import pytest

from bot.command_parser import ParseError, Report, parse_command
from bot.command_parser.commands import MAX_REPORT_DAYS
from bot.command_parser.report import typed
from bot.i18n import translator
from tests.i18n_checks import english_sentences


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("report", Report(since=90)),
        ("REPORT", Report(since=90)),
        ("报告", Report(since=90)),
        ("report --since 30d", Report(since=30)),
        ("report --since=12w", Report(since=84)),
        ("report --since 2 weeks", None),  # two words: `weeks` is not an option
        ("report —since ９０天", Report(since=90)),  # a Mac's em dash, full-width digits
        ("报告 --since 4周", Report(since=28)),
        ("report --since 2026-09-01", Report(since=date(2026, 9, 1))),
        ("report --since 730d", Report(since=MAX_REPORT_DAYS)),
        (
            "report --channel <#C123|payments>",
            Report(since=90, channel_id="C123", channel_name="payments"),
        ),
        ("report --channel=<#G9>", Report(since=90, channel_id="G9")),
        ("report --all", Report(since=90, everywhere=True)),
        ("report --page 3 --all --since 1w", Report(since=7, everywhere=True, page=3)),
        ("report --page=２", Report(since=90, page=2)),
    ],
)
def test_report_reads_its_options(text: str, command: Report | None) -> None:
    parsed = parse_command(text)
    if command is None:
        assert isinstance(parsed, ParseError)
    else:
        assert parsed == command


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("report --all --channel <#C1>", "`--channel` and `--all` don't go together"),
        ("report --channel <#C1> --all", "Give one of them, or neither for all of your channels"),
        ("report --since 0d", "`0d` is out of range: a report reaches back from 1 to 730 days"),
        ("report --since 105w", "`105w` is out of range"),
        ("report --since 731d", "`731d` is out of range"),
        ("report --since 90", "Say whether you mean days or weeks: `--since 90d`"),
        ("report --since soon", "`soon` is not a period I understand. Use a number of days"),
        ("report --since 2026-02-30", "`2026-02-30` is not a real date"),
        ("report --since", "`--since` needs a period after it"),
        ("report --since --all", "`--since` needs a period after it"),
        ("report --since=", "`--since` needs a period after it"),
        ("report --since 1w --since 2w", "`--since` is given twice; give it once."),
        ("report --channel", "`--channel` needs a channel after it: type `#`"),
        ("report --channel #payments", "`#payments` is not a linked Slack channel"),
        ("report --channel <@U1>", "`&lt;@U1&gt;` is not a linked Slack channel"),
        ("report --channel <#C1> --channel <#C2>", "`--channel` is given twice"),
        ("report --all --all", "`--all` is given twice"),
        ("report --all=yes", "`--all` takes no value; `--all=yes` has one."),
        ("report --page", "`--page` needs a page number after it"),
        ("report --page 0", "`0` is not a page number."),
        ("report --page x", "`x` is not a page number."),
        ("report --page 1 --page 2", "`--page` is given twice"),
        ("report --app acme-pos", "so it takes no `--app`. For one channel's, use `--channel`"),
        ("report --force", "`--force` is not an option of `report`. The options of `report`"),
        ("report <#C1>", "For one channel, say `--channel` first"),
        ("report 90d", "For the period, say `--since` first"),
        ("report 2026-09-01", "For the period, say `--since` first"),
        ("report 2", "For another page, say `--page` first"),
        ("report all", "For the whole workspace, write `--all`."),
        ("report everything", "`everything` is not something `report` takes."),
    ],
)
def test_report_says_what_was_wrong_and_what_is_valid(text: str, says: str) -> None:
    parsed = parse_command(text)
    assert isinstance(parsed, ParseError), parsed
    assert says in parsed.message
    chinese = parsed.text(translator("zh-CN"))
    assert english_sentences(chinese) == [], chinese


@pytest.mark.parametrize(
    ("text", "again"),
    [
        ("report --page 2", "/onboard report"),
        ("report --since 12w --page 3", "/onboard report --since 84d"),
        ("report --since 2026-09-01 --all", "/onboard report --since 2026-09-01 --all"),
        ("报告 --channel <#C123|payments> --page 2", "/onboard report --channel #payments"),
        ("report --channel <#C123>", "/onboard report --channel #C123"),
    ],
)
def test_the_command_typed_again_without_its_page(text: str, again: str) -> None:
    parsed = parse_command(text)
    assert isinstance(parsed, Report)
    assert typed(parsed) == again
    if "--channel" not in text:  # typed in Slack, `#payments` is linked by its autocomplete
        assert parse_command(again.removeprefix("/onboard ")) == Report(
            since=parsed.since, everywhere=parsed.everywhere
        )
