"""A step as replies name it, its title in the reader's language (see `replies.step_label`)."""

from __future__ import annotations

from bot.blocks.replies import step_label

__all__ = ["step_label"]
