"""*Mark an onboarding step*: `/onboard mark <step> --app <slug>` as the person the workflow
names, with the command's rules (their membership of the application's channel, the 3.5
credentials gate). Where the command would ask before announcing, the `announce` input is the
answer; left empty there, the step fails saying so, and nothing is marked."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.followup import FollowUps
from bot.listeners.functions.parameters import (
    BOOLEAN,
    INTEGER,
    STRING,
    USER_ID,
    BadInput,
    Param,
    Spec,
)
from bot.listeners.functions.runner import Done, register_step
from bot.listeners.payloads import STEP_NUMBER
from bot.runtime import Runtime
from bot.usecases import checklist
from bot.usecases.context import Actor, Deps
from bot.usecases.status import status

SPEC = Spec(
    "mark_onboarding_step",
    inputs={
        "application": Param(STRING),
        "step": Param(STRING),
        "user": Param(USER_ID),
        "announce": Param(BOOLEAN, required=False),
    },
    outputs={
        "done": Param(INTEGER),
        "total": Param(INTEGER),
        "progress": Param(STRING),
        "next_step": Param(STRING, required=False),
        "next_step_title": Param(STRING, required=False),
        "announced": Param(BOOLEAN),
    },
)


def register(app: AsyncApp, runtime: Runtime, followups: FollowUps) -> None:
    async def mark_onboarding_step(deps: Deps, team_id: str, inputs: dict[str, Any]) -> Done:
        step = inputs["step"]
        if not STEP_NUMBER.fullmatch(step):
            raise BadInput(
                f"`{step}` is not a step id; a step id is a phase and a step number, such as 3.4."
            )
        actor = Actor(team_id=team_id, user_id=inputs["user"])
        slug = inputs["application"]
        marked = await checklist.mark(deps, actor, slug, [step], announce=inputs["announce"])
        if marked.asked is not None:
            raise BadInput(
                f"Marking step {step} announces it, and the command would ask first ("
                "earlier steps are open or the announcement lacks data). Set the input "
                "`announce` to true to announce, or to false to mark it without announcing."
            )
        now = await status(deps, actor, slug)
        next_step = now.summary.next_step
        outputs = {
            "done": now.summary.complete,
            "total": now.summary.total,
            "progress": f"{now.summary.complete}/{now.summary.total}",
            "next_step": next_step.step.number if next_step else None,
            "next_step_title": next_step.step.title_in(now.language) if next_step else None,
            "announced": bool(marked.outcome.queued),
        }

        async def after() -> None:  # as after the command: redraw, Homes, announcements
            await followups.after_change(deps.client, marked.followup)

        return Done(outputs, after=after)

    register_step(app, runtime, SPEC, mark_onboarding_step)
