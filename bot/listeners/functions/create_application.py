"""*Create an application*: `/onboard new <name>` in the channel the workflow names, as the
owner it names, who must be a member of that channel (as the one typing `new` there is). A
channel that has applications gets one more, as after *Create a second application*."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.followup import FollowUps
from bot.listeners.functions.parameters import CHANNEL_ID, STRING, USER_ID, Param, Spec
from bot.listeners.functions.runner import Done, register_step
from bot.runtime import Runtime
from bot.usecases import checklist
from bot.usecases.context import Actor, Deps

SPEC = Spec(
    "create_application",
    inputs={"name": Param(STRING), "channel": Param(CHANNEL_ID), "owner": Param(USER_ID)},
    outputs={"slug": Param(STRING)},
)


def register(app: AsyncApp, runtime: Runtime, followups: FollowUps) -> None:
    async def create_application(deps: Deps, team_id: str, inputs: dict[str, Any]) -> Done:
        actor = Actor(team_id=team_id, user_id=inputs["owner"], channel_id=inputs["channel"])
        created = await checklist.create_another(deps, actor, inputs["name"])
        return Done({"slug": created.slug})

    register_step(app, runtime, SPEC, create_application)
