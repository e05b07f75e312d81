"""Listeners translate between Slack and the services; one `register` per kind."""

from slack_bolt.async_app import AsyncApp

from bot.listeners import commands
from bot.runtime import Runtime


def register_listeners(app: AsyncApp, runtime: Runtime) -> None:
    commands.register(app, runtime)
