"""Workflow Builder custom steps (manifest.yml `functions`): each reads its inputs, calls the
use case the command calls, and completes with outputs or fails with what was wrong."""

from slack_bolt.async_app import AsyncApp

from bot.followup import FollowUps
from bot.listeners.functions import checklist_status, create_application, mark_step
from bot.runtime import Runtime

STEPS = (mark_step, checklist_status, create_application)
SPECS = tuple(module.SPEC for module in STEPS)


def register(app: AsyncApp, runtime: Runtime, followups: FollowUps) -> None:
    for module in STEPS:
        module.register(app, runtime, followups)
