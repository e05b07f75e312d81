"""Talking to the app the way Slack does: signed requests over real HTTP.

`RunningApp` serves the real aiohttp app on 127.0.0.1 in the test's event loop, pointed at a
`SlackStub` for the Web API; `signed_headers` signs bodies with slack_sdk's own verifier.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
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
from bot.runtime import Runtime
from bot.server import build_web_app, open_runtime
from tests.slack_stub import SlackStub

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
TEAM_ID = "T0001"


def signed_headers(
    body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = SignatureVerifier(secret).generate_signature(
        timestamp=str(timestamp), body=body
    )
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


@dataclass
class RunningApp:
    settings: Settings
    slack: SlackStub
    clock: Callable[[], datetime] | None = None
    runtime: Runtime = field(init=False)
    engine: AsyncEngine = field(init=False)
    url: str = field(init=False)
    _runner: web.AppRunner = field(init=False)
    _http: aiohttp.ClientSession = field(init=False)

    async def start(self) -> RunningApp:
        self.runtime, self.engine = await open_runtime(self.settings)
        if self.clock is not None:
            self.runtime.clock = self.clock
        bolt_app = await create_app(self.settings, self.runtime)
        self._runner = web.AppRunner(build_web_app(bolt_app, self.runtime))
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
        await self.engine.dispose()

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
