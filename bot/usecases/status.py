"""Where an application's checklist stands, as plain values (a Workflow Builder step's
answer): `show`'s rules, so only a member of the application's channel learns it."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.progress import Checklist
from bot.services.summary import Summary, summarize
from bot.usecases import checklist
from bot.usecases.access import AppRef
from bot.usecases.context import Actor, Deps


@dataclass(frozen=True, slots=True)
class Status:
    checklist: Checklist
    summary: Summary
    # The reader's language (the actor's: a status asked from outside the channel), for
    # step and phase titles.
    language: str


async def status(deps: Deps, actor: Actor, ref: AppRef) -> Status:
    shown = await checklist.show(deps, actor, ref)
    return Status(shown.checklist, summarize(shown.checklist, deps.now()), shown.language)
