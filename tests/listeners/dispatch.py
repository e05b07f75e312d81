"""Dispatch tests, the way Bolt's own suite writes them (tests/scenario_tests_async): the app
built as served (`bot.app.create_app`, the runtime from `bot.server.open_runtime`), a request
signed for real, `await app.async_dispatch(...)`, and assertions on the `BoltResponse` and on
what reached the Web API stand-in.

A listener's use case is replaced by a `Fake` that records the arguments it was called with
(bound to the real function's signature, so positional and keyword calls compare alike) and
returns a real outcome object; `FollowUpLog` records what each listener handed to
`FollowUps.after_change`. `Dispatcher.dispatch` returns once the listener has finished, the
part after its `ack` included, so a test can also assert on what did *not* happen.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import create_app
from bot.blocks.checklist import Fold
from bot.followup import FollowUps
from bot.runtime import Runtime
from bot.server import open_runtime
from bot.services import checklist as checklist_service
from bot.services.progress import Checklist
from bot.surfaces import Surfaces
from bot.usecases import applications, checklist
from bot.usecases.context import Actor, Deps, Followup
from storage import repositories as repo
from storage.models import Application
from tests.harness import (
    TEAM_ID,
    block_actions_body,
    event_body,
    make_settings,
    signed_headers,
    slash_command_body,
    view_submission_body,
)
from tests.slack_stub import Call, SlackStub

# How long a listener may take to finish after its ack before the test fails.
FINISH_TIMEOUT = 10.0


# ---- the app, dispatching signed requests ----------------------------------------------------


@dataclass
class Dispatcher:
    """The Bolt app as `create_app` builds it, on a fresh database, answering `dispatch`."""

    runtime: Runtime
    bolt: AsyncApp
    slack: SlackStub
    # Outbox ids a follow-up asked to send at once (`deliver`), in order.
    delivered: list[int] = field(default_factory=list)

    @property
    def client(self) -> AsyncWebClient:
        """A Web API client on the stand-in, for setting a test up."""
        return AsyncWebClient(token=self.slack.bot_token, base_url=self.slack.api_url)

    @property
    def surfaces(self) -> Surfaces:
        return Surfaces(self.runtime)

    async def dispatch(self, body: str, *, content_type: str | None = None) -> BoltResponse:
        """Sign `body` now, dispatch it, and wait until the listener has finished."""
        headers = signed_headers(body)
        if content_type is not None:
            headers["Content-Type"] = content_type
        before = asyncio.all_tasks()
        response = await self.bolt.async_dispatch(AsyncBoltRequest(body=body, headers=headers))
        await _finish_tasks_started_since(before)
        return response

    async def command(
        self,
        text: str,
        *,
        user: str = "UALICE",
        channel: str = "CPAY",
        trigger_id: str = "13345224609.738474920.8088930838d88f008e0",
    ) -> BoltResponse:
        body = slash_command_body(
            text,
            user_id=user,
            channel_id=channel,
            response_url=self.slack.response_url("command"),
            trigger_id=trigger_id,
        )
        return await self.dispatch(body)

    async def click(
        self,
        action: dict[str, Any],
        *,
        container: dict[str, Any],
        user: str = "UBOB",
        message: dict[str, Any] | None = None,
        view: dict[str, Any] | None = None,
        response_url: str = "click",
    ) -> tuple[BoltResponse, str]:
        """A block action; returns the response and the trigger_id Slack gave the click."""
        body = block_actions_body(
            user_id=user,
            action=action,
            container=container,
            message=message,
            view=view,
            response_url=self.slack.response_url(response_url),
        )
        trigger_id = json.loads(_payload_of(body))["trigger_id"]
        return await self.dispatch(body), trigger_id

    async def submit(
        self, view: dict[str, Any], values: dict[str, Any], *, user: str = "UALICE"
    ) -> BoltResponse:
        return await self.dispatch(view_submission_body(user_id=user, view=view, values=values))

    async def event(self, event: dict[str, Any]) -> tuple[BoltResponse, str]:
        """An Events API delivery; returns the response and the delivery's event_id."""
        body = event_body(event)
        response = await self.dispatch(body, content_type="application/json")
        return response, json.loads(body)["event_id"]


def _payload_of(form_body: str) -> str:
    return parse_qs(form_body)["payload"][0]


async def _finish_tasks_started_since(before: set[asyncio.Task]) -> None:
    """Bolt acks first and runs the rest of a listener in a task of its own (HTTP mode): wait
    for that task, and for any it started, to be done."""
    current = asyncio.current_task()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + FINISH_TIMEOUT
    while True:
        pending = {
            t for t in asyncio.all_tasks() if t not in before and t is not current and not t.done()
        }
        if not pending:
            return
        _, still = await asyncio.wait(pending, timeout=max(deadline - loop.time(), 0))
        if still:
            raise AssertionError(f"listener still running after {FINISH_TIMEOUT}s: {still}")


@contextlib.asynccontextmanager
async def dispatching(slack: SlackStub, clock: Any, data_dir: Path) -> AsyncIterator[Dispatcher]:
    settings = make_settings(data_dir, slack)
    runtime = await open_runtime(settings)
    runtime.clock = clock
    delivered: list[int] = []

    async def deliver(ids: Sequence[int]) -> None:
        delivered.extend(ids)

    try:
        bolt = await create_app(settings, runtime, deliver=deliver)
        slack.clear()  # the start's auth.test is not the listener's doing
        yield Dispatcher(runtime, bolt, slack, delivered)
    finally:
        await runtime.close()


def parsed_body(response: BoltResponse) -> dict[str, Any]:
    """The JSON an ack answered with ({} for an empty ack)."""
    return json.loads(response.body) if response.body else {}


def as_dicts(blocks: Sequence[Any]) -> list[dict[str, Any]]:
    """Blocks (slack_sdk models or dicts) as they travel in JSON."""
    return [b if isinstance(b, dict) else b.to_dict() for b in blocks]


def view_dict(view: Any) -> dict[str, Any]:
    return view if isinstance(view, dict) else view.to_dict()


def web_api_calls(slack: SlackStub) -> list[Call]:
    """What reached the Web API (response_url posts are not Web API calls)."""
    return [c for c in slack.calls if not c.method.startswith("response_url:")]


def answering_calls(slack: SlackStub) -> list[Call]:
    """The Web API calls that answer a click: all but `users.info`, which reads the clicker's
    language (once, then cached with their time zone) for what only they see."""
    return [c for c in web_api_calls(slack) if c.method != "users.info"]


# ---- recording fakes -------------------------------------------------------------------------


class Fake:
    """Stands in for a use case: records each call's arguments by parameter name (as the real
    function would bind them, defaults applied) and returns `returns` or raises `raises`."""

    def __init__(self, real: Any, *, returns: Any = None, raises: BaseException | None = None):
        self.signature = inspect.signature(real)
        self.name = real.__qualname__
        self.returns = returns
        self.raises = raises
        self.calls: list[dict[str, Any]] = []

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        self.calls.append(dict(bound.arguments))
        if self.raises is not None:
            raise self.raises
        return self.returns

    def only_call(self, dispatcher: Dispatcher) -> dict[str, Any]:
        """The arguments of the one call, but `deps`, which must be the app's runtime and the
        request's client (the workspace's token)."""
        assert len(self.calls) == 1, f"{self.name} called {len(self.calls)} times: {self.calls}"
        arguments = dict(self.calls[0])
        deps = arguments.pop("deps", None)
        if deps is not None:
            assert isinstance(deps, Deps)
            assert deps.runtime is dispatcher.runtime
            assert deps.client.token == dispatcher.slack.bot_token
        else:  # the middleware's use case takes the runtime itself
            assert arguments.pop("runtime") is dispatcher.runtime
        return arguments


def fake(
    monkeypatch: pytest.MonkeyPatch,
    module: Any,
    name: str,
    *,
    returns: Any = None,
    raises: BaseException | None = None,
) -> Fake:
    """Replace `module.name` (a use case as a listener module reaches it) with a `Fake`."""
    recorder = Fake(getattr(module, name), returns=returns, raises=raises)
    monkeypatch.setattr(module, name, recorder)
    return recorder


@dataclass(frozen=True)
class FollowedUp:
    followup: Followup
    fold: Fold | None
    homes: tuple[str, ...]


class FollowUpLog(list[FollowedUp]):
    """What listeners handed to `FollowUps.after_change`, in order; nothing else is done."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        super().__init__()

        async def after_change(
            _self: FollowUps,
            client: AsyncWebClient,
            followup: Followup,
            *,
            fold: Fold | None = None,
            homes: Sequence[str] = (),
        ) -> None:
            self.append(FollowedUp(followup, fold, tuple(homes)))

        monkeypatch.setattr(FollowUps, "after_change", after_change)


# ---- an application with its checklist posted ------------------------------------------------


@dataclass
class Posted:
    """A real application in the database, its checklist posted in #CPAY and recorded."""

    application: Application
    ts: str
    checklist: Checklist

    @property
    def id(self) -> int:
        return self.application.id

    def message(self, slack: SlackStub) -> dict[str, Any]:
        return dict(slack.messages["CPAY"][self.ts], ts=self.ts, type="message")


async def post_application(d: Dispatcher, name: str = "Acme POS") -> Posted:
    """Made through the real use cases, before any of them is faked."""
    deps = Deps(d.runtime, d.client)
    application = await checklist.create(deps, Actor(TEAM_ID, "UALICE", "CPAY"), name)
    rendered = await d.surfaces.render_checklist(application.id)
    assert rendered is not None
    posted = await d.client.chat_postMessage(
        channel="CPAY", text=rendered.text, blocks=rendered.blocks
    )
    await applications.record_checklist_message(deps, application, "CPAY", posted["ts"])
    async with d.runtime.sessions() as session:
        application = await _reloaded(session, application.id)
        loaded = await checklist_service.load_checklist(session, application)
    d.slack.clear()
    return Posted(application, posted["ts"], loaded)


async def _reloaded(session: AsyncSession, application_id: int) -> Application:
    application = await repo.application_by_id(session, application_id)
    assert application is not None
    return application


# ---- payload pieces --------------------------------------------------------------------------


def button(action_id: str, value: str, *, block_id: str = "actions") -> dict[str, Any]:
    return {
        "action_id": action_id,
        "block_id": block_id,
        "type": "button",
        "text": {"type": "plain_text", "text": "button"},
        "value": value,
        "action_ts": f"{time.time():.6f}",
    }


def menu_choice(action_id: str, value: str, *, block_id: str = "menu") -> dict[str, Any]:
    return {
        "action_id": action_id,
        "block_id": block_id,
        "type": "static_select",
        "selected_option": {"text": {"type": "plain_text", "text": "choice"}, "value": value},
        "action_ts": f"{time.time():.6f}",
    }


def on_message(channel: str, ts: str, *, ephemeral: bool = False) -> dict[str, Any]:
    return {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": ephemeral}


ON_HOME = {"type": "view", "view_id": "VHOME"}
