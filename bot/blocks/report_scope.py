"""What a `/onboard report` covers, in words: the line its builder puts before the period."""

from __future__ import annotations

from bot.analytics.figures import Scope
from bot.blocks.mrkdwn import channel_mention
from bot.i18n import Translator


def scope_label(scope: Scope, t: Translator) -> str:
    """mrkdwn: the one channel (a mention), the reader's channels, or the whole workspace."""
    if scope.channel_ids is None:
        return t._("the whole workspace")
    if len(scope.channel_ids) == 1:
        (channel,) = scope.channel_ids
        return channel_mention(channel)
    return t._("your channels")
