"""What every `/onboard` subcommand handler shares: the request and the reply.

A handler translates its parsed command into a use case call and the outcome into a `Reply`,
which the listener sends as its `ack`, so the user's answer comes in the same HTTP response.
`after` is work that follows the ack (redrawing, posting, uploading). A use case commits
before it returns, so whatever was acknowledged survives a crash.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.followup import FollowUps
from bot.i18n import Translator, translator
from bot.usecases.context import Actor, Deps, Followup
from bot.usecases.languages import person_language

AfterAck = Callable[[], Awaitable[None]]


@dataclass
class Reply:
    text: str
    blocks: list[Any] | None = None
    in_channel: bool = False
    after: AfterAck | None = None


@dataclass
class Request:
    """One `/onboard` invocation, as the handlers need it."""

    deps: Deps
    actor: Actor  # with the channel the command was typed in
    trigger_id: str
    respond: Callable[..., Awaitable[Any]]
    followups: FollowUps
    _translator: Translator | None = field(default=None, init=False, repr=False)

    async def t(self) -> Translator:
        """The person's language, for what only they see (asked once, when first needed: a
        subcommand that answers nothing in words asks nothing)."""
        if self._translator is None:
            language = await person_language(self.deps, self.actor.team_id, self.actor.user_id)
            self._translator = translator(language)
        return self._translator

    def typed_in(self, channel_id: str) -> bool:
        """Whether the command was typed in this channel: only there is an answer about the
        channel's application shown to everyone (`in_channel`)."""
        return self.actor.channel_id == channel_id

    def after_change(self, followup: Followup) -> AfterAck:
        async def follow() -> None:
            await self.followups.after_change(self.deps.client, followup)

        return follow
