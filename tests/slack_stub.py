"""A local stand-in for Slack's Web API (and Socket Mode) for tests.

Tests point the app at ``SlackStub.api_url`` (e.g. through ``SLACK_API_URL``) and then
look at what the app sent (``calls``), or script failures (``fail``), or hold answers back
after the call took effect (``hold_answers``), as when a process dies before it hears Slack.

Messages are kept per conversation with their metadata; ``conversations.history`` serves them
(newest first, ``oldest``/``latest``/``inclusive``, ``limit``/``cursor``), with each message's
metadata only when asked with ``include_all_metadata``. A direct message is kept under the
user id it was posted to; ``conversations.open`` names that conversation ``D<user id>``, and
its history is that user's messages. Timestamps follow ``clock`` (default: real time), so a
test with a fake clock can set it to keep Slack's times in step with the app's. The methods
added for history check ``scopes`` (default: all the app asks for, history included), and
answer ``missing_scope`` with the scope ``needed`` when one is taken away.

Workflow steps' completions (``functions.completeSuccess`` / ``functions.completeError``) are
kept by function execution id in ``function_results``; a second completion of one is refused.

It is a real aiohttp server on 127.0.0.1, running in its own thread with its own event
loop. That way the same stub serves an app running in the test's own event loop (an
in-process async test) and an app running in a subprocess, and a test blocked in a sync
call never stalls the server.

Usage::

    with SlackStub() as slack:
        client = AsyncWebClient(base_url=slack.api_url, token=slack.bot_token)
        await client.chat_postMessage(channel="C1", text="hi")
        assert slack.calls_to("chat.postMessage")[0].args["text"] == "hi"
"""

# The async waiters take a `timeout` number (ASYNC109) on purpose: it is the API the
# tests use, and each polling loop checks its own deadline.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import WSCloseCode, WSMsgType, web

# Form fields that slack_sdk serialises to JSON strings when it sends form data;
# decoding them lets tests assert on structures whatever encoding the client chose.
JSON_FIELDS = frozenset(
    {
        "blocks",
        "attachments",
        "view",
        "files",
        "metadata",
        "user_auth_blocks",
        "unfurls",
        "outputs",
    }
)

# Socket Mode envelope types whose acks may carry a response payload (as on Slack).
RESPONSE_PAYLOAD_TYPES = frozenset({"slash_commands", "interactive"})

# The bot scopes the stand-in grants unless a test takes one away (see `SlackStub.scopes`).
DEFAULT_SCOPES = frozenset(
    {
        "commands",
        "chat:write",
        "im:write",
        "users:read",
        "channels:read",
        "groups:read",
        "files:write",
        "channels:history",
        "groups:history",
        "im:history",
    }
)


@dataclass
class Call:
    """One request the app made to the stub."""

    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    token: str | None
    # How the stub answered: "ok", "error:<code>", an HTTP status such as "429"/"500",
    # or "dropped" when the connection was closed without an answer.
    answered_with: str = "ok"
    # When it arrived (time.monotonic()), for checking how sends are spaced.
    received_at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class _Failure:
    """A scripted failure for one call."""

    error: str | None
    status: int
    retry_after: int | None
    drop_connection: bool
    # The call takes effect first (a message is stored), then the failure is the answer.
    after_accepting: bool = False

    def answer(self) -> tuple[web.Response | None, str]:
        if self.drop_connection:
            return None, "dropped"
        headers = {}
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        body = {"ok": False, "error": self.error}
        answered_with = str(self.status) if self.status != 200 else f"error:{self.error}"
        return web.json_response(body, status=self.status, headers=headers), answered_with


class SlackStub:
    """Slack Web API + Socket Mode stand-in. See the module docstring."""

    def __init__(
        self, *, bot_user_id: str = "UBOT", team_id: str = "T0001", bot_token: str = "xoxb-test"
    ) -> None:
        self.bot_user_id = bot_user_id
        self.team_id = team_id
        self.bot_token = bot_token
        # Tokens the API accepts; a successful oauth.v2.access adds the tokens it grants.
        self.tokens: set[str] = {bot_token}

        # Scriptable state that tests fill in before the app asks.
        self.channel_members: dict[str, list[str]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.oauth_grants: dict[str, dict[str, Any]] = {}
        # What the bot token may do; only the history methods check it (see module docstring).
        self.scopes: set[str] = set(DEFAULT_SCOPES)
        # Channels ("C…") that are private: their history needs groups:history.
        self.private_channels: set[str] = set()
        # Channels that are archived (conversations.info says so).
        self.archived_channels: set[str] = set()
        # Where message timestamps come from (seconds since the epoch).
        self.clock: Callable[[], float] = time.time

        # State the app builds up through its calls.
        self.messages: dict[str, dict[str, dict[str, Any]]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, dict[str, Any]] = {}
        # Workflow steps completed, by function_execution_id: {"outputs": …} or {"error": …},
        # in the order they came (Slack keeps the first; a second is refused, as here).
        self.function_results: dict[str, dict[str, Any]] = {}

        # The server thread appends while the test thread reads: guard with a lock.
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self._failures: dict[str, deque[_Failure]] = {}
        self._holds: list[HeldAnswers] = []

        # Socket Mode: acks are awaited from other threads, hence a Condition.
        self._sockets: list[web.WebSocketResponse] = []
        self._acks: dict[str, dict[str, Any]] = {}
        self._acks_changed = threading.Condition(self._lock)

        self._last_ts_micros = 0
        self._ts_lock = threading.Lock()
        self._id_counter = itertools.count(1)

        self._dispatch: dict[str, Callable[[dict[str, Any], str | None], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "bots.info": self._bots_info,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "conversations.members": self._conversations_members,
            "conversations.info": self._conversations_info,
            "conversations.history": self._conversations_history,
            "conversations.open": self._conversations_open,
            "users.conversations": self._users_conversations,
            "users.info": self._users_info,
            "views.open": self._views_any,
            "views.update": self._views_any,
            "views.publish": self._views_any,
            "views.push": self._views_any,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "oauth.v2.access": self._oauth_v2_access,
            "apps.connections.open": self._apps_connections_open,
            "functions.completeSuccess": self._functions_complete_success,
            "functions.completeError": self._functions_complete_error,
        }

        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> SlackStub:
        if self._loop is not None:
            raise RuntimeError("SlackStub already started")
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run_loop, name="slack-stub", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve_forever(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        """Stop the server and its thread. Safe to call twice."""
        for hold in list(self._holds):
            hold.release()
        loop, self._loop = self._loop, None
        if loop is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            assert self._thread is not None
            self._thread.join(timeout=10)

    def __enter__(self) -> SlackStub:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _run_loop(self) -> None:
        assert self._loop is not None
        loop = self._loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _serve_forever(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/upload/{file_id}", self._handle_upload)
        app.router.add_post("/response/{name}", self._handle_response_url)
        app.router.add_get("/socket", self._handle_socket)
        # A short shutdown timeout: tests should not wait on lingering keep-alive clients.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        # Bind port 0 ourselves so the OS picks a free port and we know it up front.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    async def _shutdown(self) -> None:
        # Open websockets would otherwise hold cleanup() until its timeout.
        for ws in list(self._sockets):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"stub stopping")
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("SlackStub not started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        # slack_sdk's base_url form: it appends the method name directly.
        return f"{self.base_url}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"{self.base_url}/response/{name}"

    # ------------------------------------------------------------------ recorded calls

    @property
    def calls(self) -> list[Call]:
        """A snapshot copy of every call so far."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def clear(self) -> None:
        """Forget recorded calls and socket acks; scripted failures and state stay."""
        with self._lock:
            self._calls.clear()
            self._acks.clear()

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait until `count` calls to `method` were recorded; returns all calls to it."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.calls_to(method)
            if len(found) >= count:
                return found
            if self._expired(deadline):
                raise self._timeout_error(method, count, timeout)
            await asyncio.sleep(0.01)

    def wait_for_sync(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Blocking variant of `wait_for`, for sync tests and tests driving a subprocess."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.calls_to(method)
            if len(found) >= count:
                return found
            if self._expired(deadline):
                raise self._timeout_error(method, count, timeout)
            time.sleep(0.01)

    @staticmethod
    def _expired(deadline: float) -> bool:
        return time.monotonic() >= deadline

    def _timeout_error(self, method: str, count: int, timeout: float) -> AssertionError:
        seen = [c.method for c in self.calls]
        got = seen.count(method)
        return AssertionError(
            f"expected {count} call(s) to {method} within {timeout}s, got {got}; "
            f"methods seen: {seen}"
        )

    # ------------------------------------------------------------------ scripting

    def fail(
        self,
        method: str,
        *,
        error: str | None = None,
        status: int = 200,
        retry_after: int | None = None,
        times: int = 1,
        drop_connection: bool = False,
        after_accepting: bool = False,
    ) -> None:
        """Make the next `times` calls to `method` fail.

        - status=429 or retry_after=N: HTTP 429, Retry-After header (default 1) and
          {"ok": false, "error": "ratelimited"}, as Slack rate limits.
        - status=5xx: that status with {"ok": false, "error": error or "internal_error"}.
        - error="x" (status 200): {"ok": false, "error": "x"}.
        - drop_connection=True: close the connection without answering.
        - after_accepting=True: the call takes effect first (a posted message is kept), and
          only the answer fails, as when Slack did the work but its answer was lost.

        `method` is a Web API method name, "upload" for file-content uploads, or
        "response_url:<name>".
        """
        if retry_after is not None or status == 429:
            status, error = 429, "ratelimited"
            retry_after = 1 if retry_after is None else retry_after
        elif status >= 500:
            error = error or "internal_error"
        elif error is None and not drop_connection:
            raise ValueError("fail() needs error=, a 429/5xx status, or drop_connection=True")
        failure = _Failure(error, status, retry_after, drop_connection, after_accepting)
        with self._lock:
            self._failures.setdefault(method, deque()).extend([failure] * times)

    def hold_answers(
        self, method: str, matching: Callable[[dict[str, Any]], bool] = lambda args: True
    ) -> HeldAnswers:
        """From now on, calls to `method` whose arguments match take effect (and are recorded)
        as usual, but their answers are held back until `release()`: the app never hears
        that they succeeded. A test can kill the app while it waits."""
        hold = HeldAnswers(self, method, matching)
        with self._lock:
            self._holds.append(hold)
        return hold

    def add_message(
        self,
        channel: str,
        text: str,
        *,
        user: str = "UOTHER",
        metadata: dict[str, Any] | None = None,
    ) -> str:
        """Someone else's message in `channel`, stamped by `clock`; returns its ts."""
        ts = self._next_ts()
        message: dict[str, Any] = {"type": "message", "user": user, "text": text, "ts": ts}
        if metadata is not None:
            message["metadata"] = metadata
        self.messages.setdefault(channel, {})[ts] = message
        return ts

    def add_user(
        self,
        user_id: str,
        *,
        tz: str = "America/Los_Angeles",
        is_admin: bool = False,
        name: str | None = None,
        locale: str | None = None,
        is_owner: bool = False,
    ) -> dict[str, Any]:
        """Add a users.info answer; returns the user dict so tests can tweak it. `locale`
        (e.g. `zh-CN`) is answered, as Slack does, only to a call with `include_locale`."""
        name = name or user_id.lower()
        offset = ZoneInfo(tz).utcoffset(datetime.now(UTC))
        user = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "real_name": name.title(),
            "tz": tz,
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "is_admin": is_admin,
            "is_owner": is_owner,
            "is_bot": False,
            "deleted": False,
            "profile": {"real_name": name.title(), "display_name": name},
        }
        if locale is not None:
            user["locale"] = locale
        self.users[user_id] = user
        return user

    # ------------------------------------------------------------------ HTTP plumbing

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        args, token = await _read_args(request)
        return await self._answer(
            request, method, args, token, lambda: self._call_api(method, args, token)
        )

    async def _handle_upload(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["file_id"]
        filename, content = await _read_upload(request)
        args = {"file_id": file_id, "filename": filename, "length": len(content)}
        return await self._answer(
            request, "upload", args, None, lambda: self._store_upload(file_id, filename, content)
        )

    async def _handle_response_url(self, request: web.Request) -> web.StreamResponse:
        raw = await request.text()
        try:
            args = json.loads(raw)
        except json.JSONDecodeError:
            args = {"_raw": raw}
        # Slack's response_url answers a plain "ok".
        return await self._answer(
            request,
            f"response_url:{request.match_info['name']}",
            args,
            None,
            lambda: (web.Response(text="ok"), "ok"),
        )

    async def _answer(
        self,
        request: web.Request,
        method: str,
        args: dict[str, Any],
        token: str | None,
        produce: Callable[[], tuple[web.Response, str]],
    ) -> web.StreamResponse:
        """Answer with a scripted failure if one is queued, else with `produce()`; record it."""
        with self._lock:
            queue = self._failures.get(method)
            failure = queue.popleft() if queue else None
            holds = [h for h in self._holds if h.method == method]
        if failure is not None and failure.after_accepting:
            produce()
        response, answered_with = failure.answer() if failure else produce()
        call = Call(method, args, dict(request.headers), token, answered_with)
        with self._lock:
            self._calls.append(call)
        for hold in holds:
            await hold.wait_if_matching(args)
        if response is None:
            # Close the socket without a byte of response: the client sees
            # ServerDisconnectedError, like a connection reset by a proxy.
            assert request.transport is not None
            request.transport.abort()
            return web.Response()  # never written: the transport is gone
        return response

    def _call_api(
        self, method: str, args: dict[str, Any], token: str | None
    ) -> tuple[web.Response, str]:
        handler = self._dispatch.get(method)
        auth_error = self._check_token(method, token)
        if handler is None:
            body = _error("unknown_method")
        elif auth_error:
            body = _error(auth_error)
        else:
            body = handler(args, token)
        answered_with = "ok" if body.get("ok") else f"error:{body.get('error')}"
        return web.json_response(body), answered_with

    def _check_token(self, method: str, token: str | None) -> str | None:
        # Checking tokens catches an app that forgets or mixes them up. oauth.v2.access
        # authenticates with client id/secret; apps.connections.open wants an xapp- token.
        if method == "oauth.v2.access":
            return None
        if not token:
            return "not_authed"
        if method == "apps.connections.open":
            return None if token.startswith("xapp-") else "not_allowed_token_type"
        return None if token in self.tokens else "invalid_auth"

    def _store_upload(
        self, file_id: str, filename: str | None, content: bytes
    ) -> tuple[web.Response, str]:
        entry = self.uploads.get(file_id)
        if entry is None:
            return web.Response(status=404, text="file not found"), "404"
        entry["content"] = content
        if filename:
            entry["filename"] = filename
        # Slack's upload endpoint answers text/plain, which slack_sdk reads as such.
        return web.Response(text=f"OK - {len(content)}"), "ok"

    # ------------------------------------------------------------------ Web API methods

    def _auth_test(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        return _ok(
            url="https://test-team.slack.com/",
            team="Test Team",
            user="onboard",
            team_id=self.team_id,
            user_id=self.bot_user_id,
            bot_id="B0001",
        )

    def _bots_info(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        if args.get("bot") != "B0001":
            return _error("bot_not_found")
        bot = {"id": "B0001", "app_id": "A0001", "user_id": self.bot_user_id, "name": "onboard"}
        return _ok(bot=bot)

    def _chat_post_message(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        channel = args.get("channel")
        if not channel:
            return _error("channel_not_found")
        if not args.get("text") and not args.get("blocks") and not args.get("attachments"):
            return _error("no_text")
        ts = self._next_ts()
        message: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": "B0001",
            "app_id": "A0001",
            "text": args.get("text", ""),
            "blocks": args.get("blocks"),
            "ts": ts,
        }
        if isinstance(args.get("metadata"), dict):
            message["metadata"] = args["metadata"]
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        self.messages.setdefault(channel, {})[ts] = message
        return _ok(channel=channel, ts=ts, message=message)

    def _chat_post_ephemeral(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        # Ephemeral messages cannot be updated through chat.update, so they are not stored.
        return _ok(message_ts=self._next_ts())

    def _chat_update(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        channel, ts = str(args.get("channel") or ""), args.get("ts")
        message = self.messages.get(channel, {}).get(ts)
        if message is None and channel.startswith("D"):
            # A DM is kept under the user id it was posted to; Slack updates it by its D id.
            message = self.messages.get(channel.removeprefix("D"), {}).get(ts)
        if message is None:
            return _error("message_not_found")
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in args:
                message[key] = args[key]
        return _ok(channel=channel, ts=ts, text=message.get("text", ""), message=message)

    def _chat_delete(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        channel, ts = args.get("channel"), args.get("ts")
        if self.messages.get(channel, {}).pop(ts, None) is None:
            return _error("message_not_found")
        return _ok(channel=channel, ts=ts)

    def _conversations_members(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        members = self.channel_members.get(args.get("channel", ""))
        if members is None:
            return _error("channel_not_found")
        limit = min(int(args.get("limit") or 100), 1000)
        try:
            start = _decode_cursor(args.get("cursor") or "")
        except ValueError:
            return _error("invalid_cursor")
        end = start + limit
        next_cursor = _encode_cursor(end) if end < len(members) else ""
        return _ok(members=members[start:end], response_metadata={"next_cursor": next_cursor})

    def _conversations_open(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        if "im:write" not in self.scopes:
            return self._missing_scope("im:write")
        users = [u for u in str(args.get("users") or "").split(",") if u]
        if len(users) != 1:
            # Group DMs are not needed by the app, so not served.
            return _error("invalid_arguments" if users else "users_list_not_supplied")
        if users[0] not in self.users and users[0] not in self.messages:
            return _error("user_not_found")
        return _ok(channel={"id": dm_channel(users[0])})

    def _conversations_history(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        # A DM's messages are kept under the user id the app posted to (or the D id).
        held = [channel, channel.removeprefix("D")] if channel.startswith("D") else [channel]
        if channel.startswith("D"):
            needed = "im:history"
        elif channel.startswith("G") or channel in self.private_channels:
            needed = "groups:history"
        else:
            needed = "channels:history"
        if needed not in self.scopes:
            return self._missing_scope(needed)
        known = {*self.messages, *self.channel_members, *(dm_channel(u) for u in self.users)}
        if channel not in known and not any(h in self.messages for h in held):
            return _error("channel_not_found")
        try:
            oldest = float(args.get("oldest") or 0)
            latest = float(args["latest"]) if args.get("latest") else float("inf")
            limit = min(int(args.get("limit") or 100), 999)
            start = _decode_cursor(args.get("cursor") or "")
        except ValueError:
            return _error("invalid_arguments")
        inclusive = _truthy(args.get("inclusive"))
        with_metadata = _truthy(args.get("include_all_metadata"))

        def in_range(ts: float) -> bool:
            if inclusive:
                return oldest <= ts <= latest
            return oldest < ts < latest

        found = sorted(
            (
                m
                for key in held
                for ts, m in self.messages.get(key, {}).items()
                # Thread replies are not in a channel's history, only their parents.
                if in_range(float(ts)) and m.get("thread_ts", ts) == ts
            ),
            key=lambda m: float(m["ts"]),
            reverse=True,
        )
        page = found[start : start + limit]
        has_more = start + limit < len(found)
        messages = [{k: v for k, v in m.items() if k != "metadata" or with_metadata} for m in page]
        return _ok(
            messages=messages,
            has_more=has_more,
            pin_count=0,
            response_metadata={"next_cursor": _encode_cursor(start + limit) if has_more else ""},
        )

    def _missing_scope(self, needed: str) -> dict[str, Any]:
        return {
            "ok": False,
            "error": "missing_scope",
            "needed": needed,
            "provided": ",".join(sorted(self.scopes)),
        }

    def _users_conversations(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        # Every channel listing the user, as Slack answers a bot token: a private channel only
        # where the bot is a member too, archived ones left out when asked, in pages of `limit`.
        user = args.get("user", "")
        exclude_archived = _truthy(args.get("exclude_archived"))
        channels = [
            {"id": channel, "name": f"chan-{channel.lower()}", "is_member": True}
            for channel, members in self.channel_members.items()
            if user in members
            and not (
                (channel.startswith("G") or channel in self.private_channels)
                and self.bot_user_id not in members
            )
            and not (exclude_archived and channel in self.archived_channels)
        ]
        limit = min(int(args.get("limit") or 100), 1000)
        try:
            start = _decode_cursor(args.get("cursor") or "")
        except ValueError:
            return _error("invalid_cursor")
        end = start + limit
        next_cursor = _encode_cursor(end) if end < len(channels) else ""
        return _ok(channels=channels[start:end], response_metadata={"next_cursor": next_cursor})

    def _conversations_info(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        # The channels the stand-in knows are those of `channel_members`; the bot is a member
        # where its user id is listed. A private channel without the bot is not found, as on
        # Slack (the bot cannot see it at all).
        channel = args.get("channel", "")
        members = self.channel_members.get(channel)
        private = channel.startswith("G") or channel in self.private_channels
        is_member = members is not None and self.bot_user_id in members
        if members is None or (private and not is_member):
            return _error("channel_not_found")
        return _ok(
            channel={
                "id": channel,
                "name": f"chan-{channel.lower()}",
                "is_member": is_member,
                "is_private": private,
                "is_archived": channel in self.archived_channels,
            }
        )

    def _users_info(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        user = self.users.get(args.get("user", ""))
        if user is None:
            return _error("user_not_found")
        if "locale" in user and not _truthy(args.get("include_locale")):
            # Slack leaves the locale out unless asked for it.
            user = {k: v for k, v in user.items() if k != "locale"}
        return _ok(user=user)

    def _views_any(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        view = args.get("view")
        if not isinstance(view, dict):
            return _error("invalid_arguments")
        # views.update names its target; open/push/publish create a new view id.
        view_id = args.get("view_id") or self._next_id("V")
        stored = {**view, "id": view_id, "team_id": self.team_id}
        self.views[view_id] = stored
        return _ok(view=stored)

    def _files_get_upload_url(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        file_id = self._next_id("F")
        self.uploads[file_id] = {"filename": args.get("filename"), "content": None}
        return _ok(upload_url=f"{self.base_url}/upload/{file_id}", file_id=file_id)

    def _files_complete_upload(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        files = args.get("files")
        if not isinstance(files, list) or not files:
            return _error("invalid_arguments")
        if any(self.uploads.get(f.get("id"), {}).get("content") is None for f in files):
            return _error("file_not_found")
        for f in files:
            # Remember where the file went, so tests can assert on the share.
            self.uploads[f["id"]].update(
                title=f.get("title"),
                channel_id=args.get("channel_id"),
                channels=args.get("channels"),
                thread_ts=args.get("thread_ts"),
                initial_comment=args.get("initial_comment"),
            )
        return _ok(files=[{"id": f["id"], "title": f.get("title")} for f in files])

    def _oauth_v2_access(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        grant = self.oauth_grants.get(args.get("code", ""))
        if grant is None:
            return _error("invalid_code")
        # The granted tokens work from now on, as they would on Slack.
        for granted in (
            grant.get("access_token"),
            grant.get("authed_user", {}).get("access_token"),
        ):
            if granted:
                self.tokens.add(granted)
        return _ok(**grant)

    def _functions_complete_success(self, args: dict[str, Any], token: str | None) -> dict:
        outputs = args.get("outputs")
        if isinstance(outputs, str):  # a form field: JSON text
            try:
                outputs = json.loads(outputs)
            except json.JSONDecodeError:
                return _error("invalid_arguments")
        if not isinstance(outputs, dict):
            return _error("invalid_arguments")
        return self._complete_function(args, {"outputs": outputs})

    def _functions_complete_error(self, args: dict[str, Any], token: str | None) -> dict:
        error = args.get("error")
        if not isinstance(error, str) or not error:
            return _error("invalid_arguments")
        return self._complete_function(args, {"error": error})

    def _complete_function(self, args: dict[str, Any], result: dict[str, Any]) -> dict:
        execution = args.get("function_execution_id")
        if not isinstance(execution, str) or not execution:
            return _error("invalid_arguments")
        if execution in self.function_results:
            # A function execution completes once.
            return _error("function_execution_not_found")
        self.function_results[execution] = result
        return _ok()

    def _apps_connections_open(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        return _ok(url=f"ws://127.0.0.1:{self.port}/socket")

    def _next_ts(self) -> str:
        # Slack's "seconds.micros" timestamps: the time by `clock`, unique and increasing.
        with self._ts_lock:
            micros = max(int(self.clock() * 1_000_000), self._last_ts_micros + 1)
            self._last_ts_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._id_counter):08d}"

    # ------------------------------------------------------------------ Socket Mode

    async def _handle_socket(self, request: web.Request) -> web.WebSocketResponse:
        # autoping answers the SDK's pings; it pings us, so no server heartbeat.
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        try:
            await ws.send_json(
                {
                    "type": "hello",
                    "num_connections": len(self._sockets),
                    "debug_info": {"host": "slack-stub", "approximate_connection_time": 3600},
                    "connection_info": {"app_id": "A0001"},
                }
            )
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._on_socket_message(msg.data)
        finally:
            self._sockets.remove(ws)
        return ws

    def _on_socket_message(self, data: str) -> None:
        try:
            message = json.loads(data)
        except json.JSONDecodeError:
            return
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        if envelope_id:
            with self._acks_changed:
                self._acks[envelope_id] = message
                self._acks_changed.notify_all()

    @property
    def socket_connected(self) -> bool:
        return any(not ws.closed for ws in self._sockets)

    def socket_send(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool | None = None,
        timeout: float = 5.0,
    ) -> str:
        """Send a Socket Mode envelope to the app; returns its envelope_id.

        Waits up to `timeout` for the app to be connected. This blocks the calling
        thread, so an async test whose app runs in the same event loop should use
        `socket_send_async` instead.
        """
        envelope = self._envelope(envelope_type, payload, accepts_response_payload)
        future = asyncio.run_coroutine_threadsafe(
            self._send_envelope(envelope, timeout), self._running_loop()
        )
        return future.result(timeout=timeout + 1)

    async def socket_send_async(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool | None = None,
        timeout: float = 5.0,
    ) -> str:
        """Like `socket_send`, without blocking the caller's event loop."""
        envelope = self._envelope(envelope_type, payload, accepts_response_payload)
        future = asyncio.run_coroutine_threadsafe(
            self._send_envelope(envelope, timeout), self._running_loop()
        )
        return await asyncio.wrap_future(future)

    def wait_for_socket_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """Block until the app acked `envelope_id`; returns the ack JSON."""
        with self._acks_changed:
            if not self._acks_changed.wait_for(lambda: envelope_id in self._acks, timeout):
                raise AssertionError(f"no Socket Mode ack for {envelope_id} within {timeout}s")
            return self._acks[envelope_id]

    async def wait_for_socket_ack_async(
        self, envelope_id: str, timeout: float = 5.0
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while not self._expired(deadline):
            with self._lock:
                ack = self._acks.get(envelope_id)
            if ack is not None:
                return ack
            await asyncio.sleep(0.01)
        raise AssertionError(f"no Socket Mode ack for {envelope_id} within {timeout}s")

    async def send_envelope(
        self, payload: dict[str, Any], type_: str = "slash_commands", timeout: float = 5.0
    ) -> dict[str, Any]:
        """Send an envelope and return the app's ack (async tests)."""
        envelope_id = await self.socket_send_async(type_, payload, timeout=timeout)
        return await self.wait_for_socket_ack_async(envelope_id, timeout)

    def _envelope(
        self, envelope_type: str, payload: dict[str, Any], accepts_response_payload: bool | None
    ) -> dict[str, Any]:
        if accepts_response_payload is None:
            accepts_response_payload = envelope_type in RESPONSE_PAYLOAD_TYPES
        envelope = {
            "envelope_id": str(uuid.uuid4()),
            "type": envelope_type,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if envelope_type == "events_api":
            envelope.update(retry_attempt=0, retry_reason="")
        return envelope

    async def _send_envelope(self, envelope: dict[str, Any], timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while not (open_sockets := [ws for ws in self._sockets if not ws.closed]):
            if self._expired(deadline):
                raise AssertionError(f"no Socket Mode connection within {timeout}s")
            await asyncio.sleep(0.01)
        # Slack delivers each envelope over one connection: use the newest.
        await open_sockets[-1].send_json(envelope)
        return envelope["envelope_id"]

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("SlackStub not started")
        return self._loop


class HeldAnswers:
    """Answers to one method held back after the calls took effect (`SlackStub.hold_answers`).

    `held` counts the calls whose answers were held; `release()` lets them (and later ones)
    go. Waiting happens on the stand-in's own loop, so any number can be held at once."""

    def __init__(
        self, stub: SlackStub, method: str, matching: Callable[[dict[str, Any]], bool]
    ) -> None:
        self.stub = stub
        self.method = method
        self.matching = matching
        self.held = 0
        self._released = asyncio.Event()
        self._changed = threading.Condition()

    async def wait_if_matching(self, args: dict[str, Any]) -> None:
        if self._released.is_set() or not self.matching(args):
            return
        with self._changed:
            self.held += 1
            self._changed.notify_all()
        await self._released.wait()

    def wait_held(self, count: int = 1, timeout: float = 10.0) -> None:
        """Block until `count` answers are held (the calls have taken effect)."""
        with self._changed:
            if not self._changed.wait_for(lambda: self.held >= count, timeout):
                raise AssertionError(
                    f"{self.held} {self.method} answer(s) held within {timeout}s, not {count}"
                )

    def release(self) -> None:
        """Answer every held call and stop holding; safe to call twice."""
        with self.stub._lock:
            if self in self.stub._holds:
                self.stub._holds.remove(self)
        loop = self.stub._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._released.set)


def dm_channel(user_id: str) -> str:
    """The id the stand-in gives the direct-message conversation with `user_id`."""
    return f"D{user_id}"


# ---------------------------------------------------------------------- helpers


def _truthy(value: Any) -> bool:
    # slack_sdk sends booleans in query strings as "1"/"0"; other clients send "true".
    return str(value).lower() in ("1", "true")


def _ok(**fields: Any) -> dict[str, Any]:
    return {"ok": True, **fields}


def _error(error: str) -> dict[str, Any]:
    return {"ok": False, "error": error}


def _encode_cursor(offset: int) -> str:
    # Opaque like Slack's cursors, so the app cannot depend on their shape.
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _decode_cursor(cursor: str) -> int:
    if not cursor:
        return 0
    try:
        prefix, _, offset = base64.b64decode(cursor).decode().partition(":")
    except (ValueError, UnicodeDecodeError) as e:
        raise ValueError(cursor) from e
    if prefix != "offset" or not offset.isdigit():
        raise ValueError(cursor)
    return int(offset)


async def _read_args(request: web.Request) -> tuple[dict[str, Any], str | None]:
    """Merge query string, form or JSON body into one dict and pull out the token.

    slack_sdk's async client puts `params` in the query string (even for POST), `data`
    in a urlencoded form and `json` in a JSON body; the token travels either in an
    "Authorization: Bearer" header or a `token` field.
    """
    args: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        raw = await request.text()
        if raw.strip():
            args.update(json.loads(raw))
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        args.update({k: v for k, v in form.items() if isinstance(v, str)})
    for key in JSON_FIELDS & args.keys():
        if isinstance(args[key], str):
            # Not JSON after all: keep what the app sent.
            with contextlib.suppress(json.JSONDecodeError):
                args[key] = json.loads(args[key])
    token = args.pop("token", None)
    authorization = request.headers.get("Authorization", "")
    if authorization.startswith("Bearer "):
        token = authorization.removeprefix("Bearer ")
    return args, token


async def _read_upload(request: web.Request) -> tuple[str | None, bytes]:
    """Read file content sent as a multipart form (first file part) or as the raw body.

    slack_sdk's files_upload_v2 POSTs the raw bytes; browsers and other clients use
    multipart, so accept both.
    """
    if request.content_type == "multipart/form-data":
        form = await request.post()
        for value in form.values():
            if isinstance(value, web.FileField):
                return value.filename, value.file.read()
        return None, b""
    return None, await request.read()


__all__ = ["Call", "HeldAnswers", "SlackStub", "dm_channel"]
