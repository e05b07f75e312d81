"""Listeners translate between Slack and the use cases (bot/usecases/); one `register` per
kind. None of them touches storage: a listener reads the payload, calls a use case, renders
its outcome, and hands the follow-up to `FollowUps`."""

from slack_bolt.async_app import AsyncApp

from bot.followup import Deliver, FollowUps
from bot.listeners import actions, commands, events, functions, middleware, views
from bot.runtime import Runtime
from bot.surfaces import Surfaces


def register_listeners(app: AsyncApp, runtime: Runtime, deliver: Deliver) -> None:
    middleware.register(app, runtime)
    followups = FollowUps(Surfaces(runtime), deliver)
    for kind in (commands, actions, views, events, functions):
        kind.register(app, runtime, followups)
