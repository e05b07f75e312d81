"""Commands stay English but take Chinese: aliases for the common subcommands, date words where
a date is expected, and `/onboard language`."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.command_parser import (
    AddNote,
    Assign,
    Away,
    Help,
    History,
    Language,
    ListApps,
    Mark,
    ParseError,
    Report,
    SetDue,
    Status,
    Unmark,
    parse_command,
)
from bot.command_parser.usage import USAGE_BY_NAME
from bot.services.due_dates import DueSpec, day_named, resolve_due
from bot.services.errors import Refusal


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("标记 3.4", Mark(steps=("3.4",))),
        ("标记 1.1 1.2 --force", Mark(steps=("1.1", "1.2"), force=True)),
        ("取消标记 1.2", Unmark(steps=("1.2",))),
        ("状态", Status()),
        ("状态 2 --app acme-pos", Status(phase=2, app="acme-pos")),
        ("帮助", Help()),
        ("帮助 标记", Help(topic="mark")),
        ("报告 --since 12w", Report(since=84)),
        ("帮助 报告", Help(topic="report")),
        ("指派 1.2 <@UBOB|bob>", Assign(step="1.2", user_id="UBOB")),
        ("截止 2.1 +3d", SetDue(step="2.1", due=DueSpec("days", days=3))),
        ("备注 1.5 等待 IT", AddNote(step="1.5", text="等待 IT")),
        ("历史", History()),
        ("历史 1.2", History(step="1.2")),
        ("列表", ListApps()),
        ("语言 zh-CN", Language("mine", "zh-CN")),
    ],
)
def test_chinese_aliases_are_the_english_subcommands(text: str, command: object) -> None:
    assert parse_command(text) == command


def test_an_alias_in_an_error_is_named_by_its_subcommand() -> None:
    message = parse_command("状态 1 2")
    assert isinstance(message, ParseError)
    assert "`status` takes" in message.message


@pytest.mark.parametrize(
    ("word", "spec"),
    [
        ("今天", DueSpec("days", days=0)),
        ("明天", DueSpec("days", days=1)),
        ("后天", DueSpec("days", days=2)),
        ("周一", DueSpec("weekday", weekday=0)),
        ("周五", DueSpec("weekday", weekday=4)),
        ("周日", DueSpec("weekday", weekday=6)),
        ("周天", DueSpec("weekday", weekday=6)),
        ("星期三", DueSpec("weekday", weekday=2)),
    ],
)
def test_chinese_date_words_for_due_and_away(word: str, spec: DueSpec) -> None:
    assert parse_command(f"due 2.1 {word}") == SetDue(step="2.1", due=spec)
    assert parse_command(f"截止 2.1 {word}") == SetDue(step="2.1", due=spec)
    assert parse_command(f"away until {word}") == Away("until", until=spec)
    assert parse_command(f"away {word}") == Away("until", until=spec)


@pytest.mark.parametrize("word", ["周八", "星期", "大后天", "周"])
def test_other_chinese_words_are_no_date(word: str) -> None:
    for text in (f"due 2.1 {word}", f"away until {word}"):
        refused = parse_command(text)
        assert isinstance(refused, ParseError), text
        assert "`明天`" in refused.message and "`周五`" in refused.message


FRIDAY = date(2026, 12, 4)


@pytest.mark.parametrize(
    ("weekday", "day"),
    [
        (0, date(2026, 12, 7)),  # 周一: the coming Monday
        (3, date(2026, 12, 10)),  # 周四: next week's, yesterday's is past
        (4, date(2026, 12, 11)),  # 周五 on a Friday: a week on, not today
        (5, date(2026, 12, 5)),  # 周六: tomorrow
        (6, date(2026, 12, 6)),
    ],
)
def test_a_weekday_is_the_next_such_day(weekday: int, day: date) -> None:
    assert FRIDAY.weekday() == 4
    assert day_named(DueSpec("weekday", weekday=weekday), FRIDAY) == day
    assert resolve_due(DueSpec("weekday", weekday=weekday), FRIDAY) == day
    assert FRIDAY < day <= FRIDAY + timedelta(days=7)


def test_the_day_words_are_from_today() -> None:
    assert resolve_due(DueSpec("days", days=2), FRIDAY) == date(2026, 12, 6)
    with pytest.raises(Refusal):
        resolve_due(DueSpec("date", on=FRIDAY - timedelta(days=1)), FRIDAY)


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("language", Language("show")),
        ("language channel", Language("show")),
        ("language zh-CN", Language("mine", "zh-CN")),
        ("language ZH-cn", Language("mine", "zh-CN")),
        ("language 中文", Language("mine", "zh-CN")),
        ("language en", Language("mine", "en")),
        ("language English", Language("mine", "en")),
        ("language auto", Language("mine", None)),
        ("language channel zh-CN", Language("channel", "zh-CN")),
        ("language channel en", Language("channel", "en")),
    ],
)
def test_language_forms(text: str, command: Language) -> None:
    assert parse_command(text) == command


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("language fr", "`fr` is not a language I speak. Use `en` or `zh-CN`"),
        ("language channel auto", "A channel always has a language"),
        ("language channel ja", "`ja` is not a language I speak"),
        ("language en zh-CN", "`language` takes one language"),
        ("language auto en", "`language` takes nothing after `auto`"),
        ("language channel en zh-CN", "one language after `channel`"),
        ("language zh-CN --app acme-pos", "`language` takes no options"),
    ],
)
def test_language_refusals_say_what_is_valid(text: str, says: str) -> None:
    refused = parse_command(text)
    assert isinstance(refused, ParseError)
    assert says in refused.message


def test_language_is_in_help() -> None:
    assert "language" in USAGE_BY_NAME
    assert parse_command("help language") == Help(topic="language")
