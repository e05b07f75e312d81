"""An unknown subcommand suggests the closest one (issue 13, "Texts")."""

from __future__ import annotations

import pytest

from bot.command_parser import ParseError, parse_command
from bot.command_parser.usage import USAGE_BY_NAME


def error(text: str) -> str:
    result = parse_command(text)
    assert isinstance(result, ParseError), result
    return result.message


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("mrak 1.1", "mark"),
        ("MRAK 1.1", "mark"),
        ("unmrak 1.1", "unmark"),
        ("stauts", "status"),
        ("asign 1.3 <@U1|mei>", "assign"),
        ("remnid after 2d", "remind"),
        ("hist", "history"),  # an unambiguous start of a subcommand
        ("exprot json", "export"),
    ],
)
def test_a_mistyped_subcommand_suggests_the_closest_one(typed, meant):
    message = error(typed)
    head = typed.split()[0]
    assert message.startswith(f"`{head}` is not a subcommand. Did you mean `{meant}`?")
    # The rest of the message keeps its shape: every subcommand and where help is.
    assert all(f"`{name}`" in message for name in USAGE_BY_NAME)
    assert message.endswith("`/onboard help` says what each does.")


@pytest.mark.parametrize("typed", ["frobnicate 1.2", "x", "zzzz", "<!channel>"])
def test_nothing_close_suggests_nothing(typed):
    message = error(typed)
    assert "Did you mean" not in message
    assert " is not a subcommand. The subcommands are " in message
