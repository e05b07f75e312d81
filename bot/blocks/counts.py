"""Counts in texts, with the noun in the singular for one: "1 application", "2 applications".
English only, as every text is for now."""

from __future__ import annotations


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """`count` with its noun, singular for one: "1 step", "19 steps", "1 working day";
    `plural` for a noun that does not take an "s" ("1 reply", "3 replies")."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"
