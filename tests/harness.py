"""Talking to the app the way Slack does: signed requests over real HTTP.

`RunningApp` serves the real aiohttp app on 127.0.0.1 in the test's event loop, pointed at a
`SlackStub` for the Web API; `signed_headers` signs bodies with slack_sdk's own verifier.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import create_app
from bot.config import Settings
from bot.followup import Deliver
from bot.runtime import Runtime
from bot.server import build_web_app, open_runtime
from tests.slack_stub import SlackStub

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
# How long `RunningApp.settled` waits for what follows the requests before the test fails.
SETTLE_TIMEOUT = 10.0
TEAM_ID = "T0001"


def signed_headers(
    body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = SignatureVerifier(secret).generate_signature(timestamp=str(timestamp), body=body)
    return {
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded",
    }


def slash_command_body(
    text: str,
    *,
    user_id: str,
    channel_id: str,
    team_id: str = TEAM_ID,
    response_url: str = "https://hooks.slack.invalid/commands/T0001/1/abc",
    trigger_id: str = "13345224609.738474920.8088930838d88f008e0",
) -> str:
    """A slash command payload shaped like Slack's documented example."""
    return urlencode(
        {
            "token": "gIkuvaNzQIHg97ATvDxqgjtO",
            "team_id": team_id,
            "team_domain": "example",
            "enterprise_id": "",
            "channel_id": channel_id,
            "channel_name": "onboarding",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": "/onboard",
            "text": text,
            "api_app_id": "A0ONBOARD",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
    )


def make_settings(data_dir: Path, slack: SlackStub, database_url: str | None = None) -> Settings:
    return Settings(
        slack_bot_token=slack.bot_token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        onboard_data_dir=data_dir,
        database_url=database_url,
        host="127.0.0.1",
        port=0,
        _env_file=None,  # type: ignore[call-arg]
    )


@dataclass
class CommandResult:
    status: int
    body: dict[str, Any] | str

    @property
    def text(self) -> str:
        assert isinstance(self.body, dict), f"not a JSON answer: {self.body!r}"
        return self.body.get("text", "")

    @property
    def blocks_text(self) -> str:
        """The text of the answer's blocks (each section's and context's), one per line."""
        assert isinstance(self.body, dict), f"not a JSON answer: {self.body!r}"
        return "\n".join(blocks_text(self.body.get("blocks") or []))


def blocks_text(blocks: list[dict[str, Any]]) -> list[str]:
    """The texts of sections and context elements, in order."""
    found = []
    for block in blocks:
        if block.get("text"):
            found.append(block["text"]["text"])
        found += [e["text"] for e in block.get("elements") or [] if isinstance(e.get("text"), str)]
    return found


# The tasks started while the app handled a request (Bolt runs what follows a listener's ack in
# a task of its own, and that task's redraws run in theirs): `RunningApp.settled` waits for
# them. Set by the app's request middleware, inherited by every task started below it.
_FOLLOW_UPS: contextvars.ContextVar[set[asyncio.Task[Any]]] = contextvars.ContextVar("follow_ups")


def _recording_factory(
    loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], **kwargs: Any
) -> asyncio.Task[Any]:
    task = asyncio.Task(coro, loop=loop, **kwargs)
    tasks = _FOLLOW_UPS.get(None)
    if tasks is not None:
        tasks.add(task)
    return task


def _record_follow_ups(tasks: set[asyncio.Task[Any]]) -> Any:
    @web.middleware
    async def record(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        _FOLLOW_UPS.set(tasks)  # tasks the handler starts inherit it
        return await handler(request)

    return record


@dataclass
class RunningApp:
    settings: Settings
    slack: SlackStub
    clock: Callable[[], datetime] | None = None
    runtime: Runtime = field(init=False)
    engine: AsyncEngine = field(init=False)
    url: str = field(init=False)
    # What a change's follow-up sends at once (bot/followup.py). Unset, it is held for the
    # test's next pass and its outbox ids are recorded in `held`; set it to a deliverer's
    # `deliver_queued` to send at once as `onboard-bot run` does.
    send_queued: Deliver | None = None
    held: list[int] = field(default_factory=list)
    _runner: web.AppRunner = field(init=False)
    _http: aiohttp.ClientSession = field(init=False)
    _follow_ups: set[asyncio.Task[Any]] = field(default_factory=set)

    async def _deliver(self, ids: Sequence[int]) -> None:
        if self.send_queued is None:
            self.held.extend(ids)
        else:
            await self.send_queued(ids)

    async def start(self) -> RunningApp:
        self.runtime = await open_runtime(self.settings)
        assert self.runtime.engine is not None
        self.engine = self.runtime.engine
        if self.clock is not None:
            self.runtime.clock = self.clock
        bolt_app = await create_app(self.settings, self.runtime, deliver=self._deliver)
        web_app = build_web_app(bolt_app, self.runtime)
        web_app.middlewares.append(_record_follow_ups(self._follow_ups))
        loop = asyncio.get_running_loop()
        if loop.get_task_factory() is not _recording_factory:
            loop.set_task_factory(_recording_factory)
        self._runner = web.AppRunner(web_app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        self._http = aiohttp.ClientSession()
        return self

    async def stop(self) -> None:
        await self._http.close()
        await self._runner.cleanup()
        await self.runtime.close()

    async def settled(self) -> None:
        """Wait until what followed every request answered so far is done: the rest of each
        listener after its ack, and the redraws it asked for, run now rather than after the
        coalescing interval (bot/coalescing.py). Then the surfaces show every change."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE_TIMEOUT
        while pending := {t for t in self._follow_ups if not t.done()}:
            flushing = asyncio.ensure_future(self.runtime.redraws.flush())
            _, still = await asyncio.wait(pending, timeout=max(deadline - loop.time(), 0))
            await flushing
            if still:
                raise AssertionError(f"follow-ups still running after {SETTLE_TIMEOUT}s: {still}")
        self._follow_ups.clear()
        await self.runtime.redraws.flush()

    async def post(self, body: str, headers: dict[str, str]) -> CommandResult:
        async with self._http.post(f"{self.url}/slack/events", data=body, headers=headers) as r:
            raw = await r.text()
            try:
                parsed: dict[str, Any] | str = json.loads(raw) if raw else {}
            except ValueError:
                parsed = raw
            return CommandResult(r.status, parsed)

    async def command(
        self, text: str, *, user: str = "UALICE", channel: str = "CPAY", name: str = "r1"
    ) -> CommandResult:
        body = slash_command_body(
            text, user_id=user, channel_id=channel, response_url=self.slack.response_url(name)
        )
        return await self.post(body, signed_headers(body))


# ---- interactive payloads, shaped like Slack's documented examples --------------------------


def _user(user_id: str, team_id: str) -> dict[str, str]:
    return {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": team_id}


def find_element(message: dict[str, Any], action_id: str, value: str | None = None):
    """The block and element of a message with this action_id (and value, or option value)."""
    for block in message.get("blocks") or []:
        elements = list(block.get("elements") or [])
        if block.get("accessory"):
            elements.append(block["accessory"])
        for element in elements:
            if element.get("action_id") != action_id:
                continue
            if value is None or element.get("value") == value:
                return block, element
            options = [o for g in element.get("option_groups") or [] for o in g["options"]]
            options += element.get("options") or []
            if any(o["value"] == value for o in options):
                return block, element
    raise AssertionError(f"no {action_id} {value!r} in the message")


def block_actions_body(
    *,
    user_id: str,
    action: dict[str, Any],
    container: dict[str, Any],
    message: dict[str, Any] | None = None,
    view: dict[str, Any] | None = None,
    response_url: str | None = None,
    team_id: str = TEAM_ID,
) -> str:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": team_id, "domain": "example"},
        "user": _user(user_id, team_id),
        "api_app_id": "A0ONBOARD",
        "token": "gIkuvaNzQIHg97ATvDxqgjtO",
        "container": container,
        "trigger_id": f"trigger-{time.monotonic_ns()}",
        "actions": [action],
    }
    if message is not None:
        payload["message"] = message
        payload["channel"] = {"id": container["channel_id"], "name": "onboarding"}
        payload["response_url"] = response_url
    if view is not None:
        payload["view"] = view
    return urlencode({"payload": json.dumps(payload)})


def view_submission_body(
    *, user_id: str, view: dict[str, Any], values: dict[str, Any], team_id: str = TEAM_ID
) -> str:
    submitted = {
        "id": "V0MODAL",
        "team_id": team_id,
        "type": "modal",
        "callback_id": view.get("callback_id", ""),
        "private_metadata": view.get("private_metadata", ""),
        "blocks": view.get("blocks", []),
        "state": {"values": values},
        "hash": "156772938.1827394",
    }
    payload = {
        "type": "view_submission",
        "team": {"id": team_id, "domain": "example"},
        "user": _user(user_id, team_id),
        "api_app_id": "A0ONBOARD",
        "token": "gIkuvaNzQIHg97ATvDxqgjtO",
        "trigger_id": f"trigger-{time.monotonic_ns()}",
        "view": submitted,
        "response_urls": [],
    }
    return urlencode({"payload": json.dumps(payload)})


def event_body(event: dict[str, Any], *, team_id: str = TEAM_ID) -> str:
    return json.dumps(
        {
            "token": "gIkuvaNzQIHg97ATvDxqgjtO",
            "team_id": team_id,
            "api_app_id": "A0ONBOARD",
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{time.monotonic_ns()}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "team_id": team_id,
                    "user_id": "UBOT",
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
        }
    )


async def click(
    app: RunningApp,
    channel: str,
    ts: str,
    action_id: str,
    value: str,
    *,
    user: str = "UALICE",
    name: str = "click",
) -> CommandResult:
    """Click a button (or pick a select option) of a message the stand-in holds."""
    message = dict(app.slack.messages[channel][ts], ts=ts, type="message")
    block, element = find_element(message, action_id, value)
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block["block_id"],
        "type": element["type"],
        "action_ts": f"{time.time():.6f}",
    }
    if element["type"] == "button":
        action |= {"text": element["text"], "value": value}
    else:
        action["selected_option"] = {"text": {"type": "plain_text", "text": "x"}, "value": value}
    body = block_actions_body(
        user_id=user,
        action=action,
        container={
            "type": "message",
            "message_ts": ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        message=message,
        response_url=app.slack.response_url(name),
    )
    return await app.post(body, signed_headers(body))


async def submit(
    app: RunningApp, view: dict[str, Any], values: dict[str, Any], *, user: str = "UALICE"
) -> CommandResult:
    body = view_submission_body(user_id=user, view=view, values=values)
    return await app.post(body, signed_headers(body))


async def send_event(app: RunningApp, event: dict[str, Any]) -> CommandResult:
    body = event_body(event)
    headers = signed_headers(body) | {"Content-Type": "application/json"}
    return await app.post(body, headers)
