"""Listeners translate between Slack and the services; one `register` per kind."""

from slack_bolt.async_app import AsyncApp

from bot.listeners import actions, commands, events, middleware, views
from bot.runtime import Runtime
from bot.surfaces import Surfaces


def register_listeners(app: AsyncApp, runtime: Runtime) -> None:
    middleware.register(app, runtime)
    surfaces = Surfaces(runtime)
    for kind in (commands, actions, views, events):
        kind.register(app, runtime, surfaces)
