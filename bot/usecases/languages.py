"""Whose language: a person's for what only they see, a channel's for what the channel sees.

`person_language` and `channel_language` are what every surface asks before building its
text; `show`, `choose_mine` and `choose_for_channel` are `/onboard language`.
A person's language is their own choice (`/onboard language zh-CN`), else their Slack
language, read in the `users.info` call the directory already makes for their time zone and
cached with it (no Web API call of its own), else English.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import language_of, translator
from bot.services import languages as svc
from bot.services.errors import Refusal
from bot.usecases import access
from bot.usecases.context import Actor, Deps


async def slack_language(deps: Deps, team_id: str, user_id: str) -> str:
    """The person's Slack language, English when Slack would not say."""
    person = await deps.runtime.directory.person(deps.client, team_id, user_id)
    return language_of(person.locale if person is not None else None)


async def person_language(deps: Deps, team_id: str, user_id: str) -> str:
    """The language Onboard speaks to a person: their choice, else their Slack's, else `en`."""
    runtime = deps.runtime
    chosen = await runtime.languages.chosen_by_person(runtime.sessions, team_id, user_id)
    return chosen or await slack_language(deps, team_id, user_id)


async def channel_language(deps: Deps, team_id: str, channel_id: str) -> str:
    """The language of what a channel sees: its setting, else English."""
    async with deps.runtime.sessions() as session:
        return await svc.channel_language(session, team_id, channel_id)


async def language_for_new_application(deps: Deps, actor: Actor, channel_id: str) -> str | None:
    """The language a channel takes with its first application (its creator's); None when the
    channel already has one, so Slack is not asked."""
    async with deps.runtime.sessions() as session:
        if await svc.chosen_for_channel(session, actor.team_id, channel_id) is not None:
            return None
    return await person_language(deps, actor.team_id, actor.user_id)


@dataclass(frozen=True, slots=True)
class Languages:
    """`/onboard language`: the person's and, in a channel, the channel's."""

    person: str  # what Onboard speaks to the person now
    chosen: str | None  # their own choice; None: their Slack's
    slack: str  # their Slack language
    channel_id: str | None  # None in a direct message
    channel: str | None  # the channel's language; None: none set yet (English)


def _channel_of(actor: Actor) -> str | None:
    channel_id = actor.channel_id or ""
    return channel_id if channel_id and not channel_id.startswith("D") else None


async def show(deps: Deps, actor: Actor) -> Languages:
    channel_id = _channel_of(actor)
    async with deps.runtime.sessions() as session:
        chosen = await svc.chosen_by_person(session, actor.team_id, actor.user_id)
        channel = (
            await svc.chosen_for_channel(session, actor.team_id, channel_id) if channel_id else None
        )
    slack = await slack_language(deps, actor.team_id, actor.user_id)
    return Languages(chosen or slack, chosen, slack, channel_id, channel)


async def choose_mine(deps: Deps, actor: Actor, language: str | None) -> Languages:
    """The person's own language, in every channel; None: their Slack's again."""
    async with deps.runtime.writes.begin() as session:
        await svc.choose_for_person(session, actor.team_id, actor.user_id, language, now=deps.now())
    return await show(deps, actor)


async def choose_for_channel(deps: Deps, actor: Actor, language: str) -> Languages:
    """The channel's language; any member of the channel may choose it. Refused in a direct
    message, and (in the person's language) to someone not in the channel."""
    channel_id = _channel_of(actor)
    if channel_id is None:
        t = translator(await person_language(deps, actor.team_id, actor.user_id))
        raise Refusal(
            t._(
                "A direct message has no channel language; nothing was changed. Run"
                " `/onboard language channel zh-CN` (or `en`) in the channel itself."
            )
        )
    member = await access.is_channel_member(deps, actor.team_id, actor.user_id, channel_id)
    if not member:
        t = translator(await person_language(deps, actor.team_id, actor.user_id))
        if member is None:
            raise Refusal(
                t._(
                    "I can't see who is in <#{channel}>, so I can't check you may change its"
                    " language. Invite me there with `/invite @Onboard`.",
                    channel=channel_id,
                )
            )
        raise Refusal(
            t._(
                "Only members of <#{channel}> can choose its language; join the channel first.",
                channel=channel_id,
            )
        )
    async with deps.runtime.writes.begin() as session:
        await svc.choose_for_channel(session, actor.team_id, channel_id, language, now=deps.now())
    return await show(deps, actor)
