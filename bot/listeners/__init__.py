"""Listeners translate between Slack and the use cases (bot/usecases/); one `register` per
kind. None of them touches storage: a listener reads the payload, calls a use case, renders
its outcome, and hands the follow-up to `FollowUps`."""

from slack_bolt.async_app import AsyncApp

from bot.followup import Deliver, FollowUps
from bot.listeners import actions, commands, events, functions, middleware, views
from bot.listeners.after_ack import AnsweringAtAck
from bot.runtime import Runtime
from bot.surfaces import Surfaces


def register_listeners(app: AsyncApp, runtime: Runtime, deliver: Deliver) -> None:
    middleware.register(app, runtime)
    followups = FollowUps(Surfaces(runtime), deliver)
    # `/onboard` runs its own follow-up after the ack; every other listener is run as a task
    # answered at its ack (bot/listeners/after_ack.py).
    commands.register(app, runtime, followups)
    answering = AnsweringAtAck(app)
    for kind in (actions, views, events, functions):
        kind.register(answering, runtime, followups)
