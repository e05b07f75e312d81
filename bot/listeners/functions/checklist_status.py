"""*Get checklist status*: `/onboard status --app <slug>` as the person the workflow names (a
member of the application's channel), answered as plain values."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.followup import FollowUps
from bot.listeners.functions.parameters import DATE, INTEGER, STRING, USER_ID, Param, Spec
from bot.listeners.functions.runner import Done, register_step
from bot.runtime import Runtime
from bot.usecases.context import Actor, Deps
from bot.usecases.status import status

SPEC = Spec(
    "get_checklist_status",
    inputs={"application": Param(STRING), "user": Param(USER_ID)},
    outputs={
        "name": Param(STRING),
        "done": Param(INTEGER),
        "total": Param(INTEGER),
        "progress": Param(STRING),
        "current_phase": Param(STRING, required=False),
        "next_step": Param(STRING, required=False),
        "next_step_title": Param(STRING, required=False),
        "next_step_assignee": Param(USER_ID, required=False),
        "days_since_progress": Param(INTEGER),
        "go_live_date": Param(DATE, required=False),
    },
)


def register(app: AsyncApp, runtime: Runtime, followups: FollowUps) -> None:
    async def get_checklist_status(deps: Deps, team_id: str, inputs: dict[str, Any]) -> Done:
        actor = Actor(team_id=team_id, user_id=inputs["user"])
        now = await status(deps, actor, inputs["application"])
        summary, language = now.summary, now.language
        step, phase = summary.next_step, summary.current_phase
        return Done(
            {
                "name": now.checklist.application.name,
                "done": summary.complete,
                "total": summary.total,
                "progress": f"{summary.complete}/{summary.total}",
                "current_phase": f"{phase.number} {phase.title_in(language)}" if phase else None,
                "next_step": step.step.number if step else None,
                "next_step_title": step.step.title_in(language) if step else None,
                "next_step_assignee": step.assignee_id if step else None,
                "days_since_progress": summary.days_since_progress,
                "go_live_date": summary.went_live_on.isoformat() if summary.went_live_on else None,
            }
        )

    register_step(app, runtime, SPEC, get_checklist_status)
