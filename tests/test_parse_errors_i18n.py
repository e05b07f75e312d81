"""The slash-command parser's errors in the reader's language: every message in
bot/command_parser is marked, and read in zh-CN it says nothing in English but code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from bot.command_parser import MAX_CREDENTIAL, MAX_NOTE, MAX_TEXT, ParseError, parse_command
from bot.command_parser.messages import Said
from bot.i18n import ENGLISH_TRANSLATOR, translator
from tests.i18n_checks import english_sentences

PARSER = Path(__file__).resolve().parents[1] / "bot" / "command_parser"
CHINESE = translator("zh-CN")

# One command for each of the parser's messages (and each hint or list of forms inside one).
BAD_COMMANDS = [
    "m",
    "–",
    "mrak 1.1",
    "x" * (MAX_TEXT + 1),
    "new",
    "new " + "n" * 200,
    "MARK",
    "unmark",
    "my x",
    "due x",
    "list 0",
    "状态 1 2",
    "help x",
    "mark x",
    "away x",
    "due 1.2",
    "my away",
    "creds x",
    "creds {}",
    "list 1 2",
    "note 1.1",
    "note 1.1 " + "n" * (MAX_NOTE + 1),
    "unskip",
    "zzzzqq",
    "away 2026-12-07 x",
    "away until 2026-12-07 x",
    "status x",
    "remind x",
    "digest x",
    "export x",
    "my --app",
    "creds set",
    "digest tz",
    "remind 2d",
    "archive x",
    "assign 1.3",
    "away until",
    "help off x",
    "contacts x",
    "away off x",
    "my --bogus",
    "language x",
    "list --app=",
    "list --app=Bad_Slug",
    "my holidays",
    "remind 9-18",
    "due 1.1 x y",
    "away +9999d",
    "contacts add",
    "creds set {}",
    "digest 09:30",
    "digest daily",
    "remind after",
    "remind hours",
    "creds show x",
    "export off x",
    "my --force=1",
    "status --force",
    "creds show {}",
    "digest weekly",
    "due 1.2 +999w",
    "history off x",
    "creds sandbox",
    "assign 1.1 bob",
    "contacts <#C1>",
    "contacts <@U1>",
    "creds set prod",
    "my holidays XX",
    "unskip 4.2 4.3",
    "mark --force=1",
    'skip 1.2 "a" b',
    "assign 1.1 x y",
    "language --app",
    "away until none",
    "remind holidays",
    "creds client-id",
    "assign <@U1> 1.2",
    "contacts channel",
    "assign 1.2 <#C1>",
    "remind after 999",
    "remind after x",
    "contacts list all",
    "creds set prod x ",
    "creds set prod client-id " + "k" * (MAX_CREDENTIAL + 1),
    "language en zh-CN",
    "remind hours 24-9",
    "remind hours 18-9",
    "remind hours 9",
    "assign 1.2 <!here>",
    "due 1.2 2026-13-01",
    "remind hours 25-26",
    "digest weekly 9:00",
    "digest weekly xyz 9:00",
    "digest daily 25:00",
    "digest tz <@U1|mei>",
    "language channel ja",
    "digest daily 9:00 x",
    "creds set client-id",
    "contacts add <!here>",
    "creds set sandbox {}",
    "away until 2026-02-30",
    "language channel auto",
    "remind holidays CN US",
    "contacts channel auto",
    "contacts channel <@U1>",
    "contacts channel <!here>",
    "digest weekly mon 09:00 x",
    "language channel en zh-CN",
    "creds set sandbox sandbox",
    "creds set sandbox 12345",
    "contacts add <#C1|general>",
    "creds set prod notify_url ",
    "contacts channel <#C1> <#C2>",
    "mark 1.1 --app one --app two",
    "creds set staging client-id x",
    "contacts add <!subteam^S1|@devs>",
    "away until 2026-12-07 --app acme-pos",
    "report x",
    "report 2",
    "report 90d",
    "report all",
    "report <#C1>",
    "report --x",
    "report --app a",
    "report --all=1",
    "report --all --all",
    "report --all --channel <#C1>",
    "report --since",
    "report --since 90",
    "report --since 0d",
    "report --since 2026-02-30",
    "report --channel",
    "report --channel #x",
    "report --page",
    "report --page 0",
]


def _errors() -> list[ParseError]:
    found = []
    for text in BAD_COMMANDS:
        result = parse_command(text)
        assert isinstance(result, ParseError), text
        found.append(result)
    return found


def _ids(said: Said) -> set[str]:
    """The message ids `said` is made of, nested ones too."""
    nested = [value for value in said.params.values() if isinstance(value, Said)]
    return {said.msgid}.union(*(_ids(each) for each in nested))


@pytest.mark.parametrize("text", BAD_COMMANDS)
def test_a_parse_error_in_chinese_says_nothing_in_english_but_code(text: str) -> None:
    error = parse_command(text)
    assert isinstance(error, ParseError)
    chinese = error.text(CHINESE)
    assert chinese != error.message
    assert english_sentences(chinese) == [], chinese
    # English is the message itself, as before.
    assert error.text(ENGLISH_TRANSLATOR) == error.message


def test_the_sample_reaches_every_message_in_the_parser() -> None:
    marked = {
        m[2]
        for m in extract_from_dir(PARSER, method_map=[("**.py", "python")], keywords={"N_": None})
    }
    reached = set().union(*(_ids(error) for error in _errors()))
    # Shown only for a crash or a non-text payload (tested below), and the help table's lines.
    from bot.command_parser.usage import SUBCOMMAND_USAGE

    help_lines = {about for _, about in SUBCOMMAND_USAGE}
    assert sorted(marked - reached - help_lines) == [
        "Sorry, I couldn't read that command. Try `/onboard help` for what I understand."
    ]


def test_the_internal_error_is_translated_too() -> None:
    error = parse_command(None)  # type: ignore[arg-type]
    assert isinstance(error, ParseError)
    assert english_sentences(error.text(CHINESE)) == []
    assert error.message.startswith("Sorry, I couldn't read that command.")


def test_typed_text_is_escaped_the_same_in_both_languages() -> None:
    error = parse_command("mark <b>*x*</b>")
    assert isinstance(error, ParseError)
    quoted = "`&lt;b&gt;*x*&lt;/b&gt;`"
    assert quoted in error.message
    assert quoted in error.text(CHINESE)


def test_the_usage_line_stays_english_in_a_chinese_sentence() -> None:
    error = parse_command("note 1.1")
    assert isinstance(error, ParseError)
    assert error.message.endswith("Usage: `/onboard note &lt;step&gt; &lt;text&gt;`.")
    assert error.text(CHINESE).endswith("用法：`/onboard note &lt;step&gt; &lt;text&gt;`。")


def test_a_typo_is_still_suggested_in_chinese() -> None:
    error = parse_command("mrak 1.1")
    assert isinstance(error, ParseError)
    assert "Did you mean `mark`?" in error.message
    assert "你是想输入 `mark` 吗？" in error.text(CHINESE)


def _marked(node: ast.expr, constants: set[str]) -> bool:
    """Whether `node` is `N_("…")`, or a name bound to one at a module's top level."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id == "N_"
    if isinstance(node, ast.Name):
        return node.id in constants
    return isinstance(node, ast.Attribute) and node.attr in constants


# Helpers that take a marked message and make it a `Said`: the message's position among their
# arguments. Their callers are checked instead.
HANDS_ON = {"no_more": 2, "_echo": 1}


def test_every_parser_error_takes_a_marked_message() -> None:
    trees = {path: ast.parse(path.read_text()) for path in sorted(PARSER.glob("*.py"))}
    constants = {
        target.id
        for tree in trees.values()
        for node in tree.body
        if isinstance(node, ast.Assign) and _marked(node.value, set())
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    # The helpers' own `Said(what, …)`: their argument, marked where they are called.
    inside_helpers = {
        id(node)
        for tree in trees.values()
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef) and function.name in HANDS_ON
        for node in ast.walk(function)
    }
    unmarked, calls = [], 0
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            name = node.func.id
            if name in HANDS_ON:
                index = HANDS_ON[name]
                first = node.args[index] if len(node.args) > index else None
                handed_on = False
            elif name in ("Invalid", "ParseError", "Said"):
                first = node.args[0] if node.args else None
                # `Invalid.error()` hands its own (marked) id on: `ParseError(self.msgid, …)`;
                # the helpers above make their marked argument a `Said`.
                handed_on = (isinstance(first, ast.Attribute) and first.attr == "msgid") or (
                    id(node) in inside_helpers and isinstance(first, ast.Name)
                )
            else:
                continue
            calls += 1
            if first is None or not (_marked(first, constants) or handed_on):
                unmarked.append(f"{path.name}:{node.lineno}")
    assert unmarked == []
    assert calls > 100
