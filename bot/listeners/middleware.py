"""Global middleware: each request's ids for the log, and Slack's Events API retries handled
once.

Both are `AsyncMiddleware` classes, not functions given to `app.middleware`: Bolt calls a
function through its argument injection (`build_async_required_kwargs`), which costs more CPU
per request than either does its job with (bench/profile_mark.py), on every request."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from slack_bolt.async_app import AsyncApp
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.monitoring import logs
from bot.runtime import Runtime
from bot.usecases.events import first_delivery


class NameTheRequest(AsyncMiddleware):
    """Every line logged while handling a request, and after its ack, says which request and
    workspace it is about (bot/monitoring/logs.py); the ids are Bolt's, already checked."""

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        logs.bind_request(uuid.uuid4().hex[:16], req.context.team_id)
        return await next()


class HandleEachEventOnce(AsyncMiddleware):
    """Slack retries (X-Slack-Retry-Num) an event it thinks timed out; the event_id is the
    same, so the first delivery to be recorded wins, in any replica."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        body = req.body
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        team_id = body.get("team_id", "")
        if event_id is not None and not (isinstance(event_id, str) and isinstance(team_id, str)):
            return BoltResponse(status=200, body="")  # ids Slack never sends: nothing to do
        if event_id and not await first_delivery(self._runtime, event_id, team_id):
            return BoltResponse(status=200, body="")
        return await next()


def register(app: AsyncApp, runtime: Runtime) -> None:
    app.middleware(NameTheRequest())
    app.middleware(HandleEachEventOnce(runtime))
