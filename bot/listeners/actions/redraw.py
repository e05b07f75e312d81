"""Which surface a click came from, and redrawing it when it is not the application's
recorded checklist message (which `FollowUps.after_change` redraws): an ephemeral or older
copy is replaced through the click's own `response_url`, never chosen by ids in the payload."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncRespond

from bot.blocks.checklist import Fold, fold_from_blocks
from bot.listeners.payloads import mapping, message_blocks, text
from bot.surfaces import Surfaces


@dataclass(frozen=True, slots=True)
class Clicked:
    fold: Fold  # how the clicked message was folded
    on_home: bool
    recorded: bool  # the application's own checklist message
    other_message: bool  # an ephemeral or older copy, with a response_url to replace it


def clicked(body: dict[str, Any], recorded_channel: str | None, recorded_ts: str | None) -> Clicked:
    """Where the click came from, given where the application (one the clicker was
    authorized for) recorded its checklist message."""
    container = mapping(body.get("container"))
    is_message = container.get("type") == "message"
    recorded = (
        is_message
        and recorded_ts is not None
        and not container.get("is_ephemeral")
        and container.get("message_ts") == recorded_ts
        and container.get("channel_id") == recorded_channel
    )
    return Clicked(
        fold=fold_from_blocks(message_blocks(body)),
        on_home=container.get("type") == "view",
        recorded=recorded,
        other_message=is_message and not recorded and bool(text(body.get("response_url"))),
    )


async def redraw_other(
    where: Clicked,
    respond: AsyncRespond,
    surfaces: Surfaces,
    application_id: int,
    fold: Fold | None = None,
) -> None:
    """Replace a clicked copy that is not the recorded message with the checklist now."""
    if not where.other_message:
        return
    rendered = await surfaces.render_checklist(application_id, fold or where.fold)
    if rendered is not None:
        await respond(replace_original=True, text=rendered.text, blocks=rendered.blocks)
