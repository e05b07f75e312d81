"""Serving Slack: an aiohttp server for HTTP mode, or a Socket Mode connection."""

from __future__ import annotations

import asyncio
import gc
import logging
import re
import signal
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.alipay import webhook
from bot.app import INSTALL_PATH, REDIRECT_PATH, check_token, clients_for, create_app
from bot.config import Settings, SettingsError
from bot.crypto import EncryptionKeyError, Keyring, check_canary, load_keyring
from bot.installations import EncryptedInstallationStore
from bot.lifecycle.departures import workspace_back
from bot.lifecycle.running import hold_while_running
from bot.monitoring import http as monitoring
from bot.monitoring.metrics import Metrics
from bot.monitoring.requests import MeasuredSocketModeHandler, dispatch, elapsed
from bot.runtime import Runtime
from bot.scheduler import PassRunner, start_scheduler
from storage.db import create_engine, create_sessionmaker, is_sqlite, upgrade, write_sessions
from storage.models import KeyCheck

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"

# ---- Slack's requests, checked before Bolt sees them ------------------------------------------
#
# Anyone can POST to /slack/events. Bolt (checked against slack-bolt 1.30.0, slack-sdk 3.48.0)
# answers some requests with a 500 and a traceback in the log: its signature check int()s the
# timestamp and compares the signature as ASCII, its request parses the body before the
# signature is checked, and its routing indexes the payload's fields (`actions[0]
# ["action_id"]`, `view.get(...)`, `event["type"]`) without checking their types. So the edge
# refuses, in one log line each, what Slack never sends: signature headers of another shape
# (401, as Bolt answers a wrong signature), and a body that is not UTF-8, not a JSON object or
# a form, or whose envelope fields have other types than Slack's (400). Bolt still checks the
# signature of everything else. After upgrading Bolt, tests/test_hostile_requests.py and
# tests/test_fuzz_requests.py are how to tell whether it reads what this lets through unsafely.

# Unix seconds in ASCII digits ([0-9], not \d: int() also takes "１" and "1_0"), and "v0=" with
# a hex HMAC-SHA256: https://api.slack.com/authentication/verifying-requests-from-slack
SLACK_TIMESTAMP = re.compile(r"[0-9]{1,12}")
SLACK_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
# Workspace, user, channel and enterprise ids; the database keeps them in 32 characters.
SLACK_ID = re.compile(r"[A-Z0-9]{1,32}")
EVENT_ID = re.compile(r"[A-Za-z0-9]{1,64}")
# PostgreSQL text cannot hold NUL, and no database can store a lone surrogate.
UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
# Ids Bolt reads from the payload into its context; our listeners read the same fields.
CONTEXT_IDS = (
    "enterprise_id",
    "team_id",
    "user_id",
    "actor_enterprise_id",
    "actor_team_id",
    "actor_user_id",
    "channel_id",
)
CONTEXT_STRINGS = ("thread_ts", "function_execution_id", "function_bot_access_token")
# Top-level fields that Slack always sends as strings and Bolt compares or formats.
ENVELOPE_STRINGS = ("type", "callback_id", "action_id", "block_id", "event_id", "trigger_id")


def refused_signature_headers(headers: Any) -> str | None:
    """Why these are not Slack's signature headers, or None if they have Slack's shape (the
    signature itself is Bolt's to check)."""
    timestamps = headers.getall("X-Slack-Request-Timestamp", [])
    signatures = headers.getall("X-Slack-Signature", [])
    if len(timestamps) != 1 or len(signatures) != 1:
        return "not one X-Slack-Request-Timestamp and one X-Slack-Signature"
    if not SLACK_TIMESTAMP.fullmatch(timestamps[0]):
        return "X-Slack-Request-Timestamp is not Unix seconds"
    if not SLACK_SIGNATURE.fullmatch(signatures[0]):
        return "X-Slack-Signature is not v0=<hex>"
    return None


def unreadable_payload(request: AsyncBoltRequest) -> str | None:
    """Why Bolt could not route this parsed payload safely, or None. Checks only what Slack
    always sends with these types: the ids Bolt put in the request's context, the envelope
    fields it routes by, and that every string could be stored."""
    body, context = request.body, request.context
    for key in CONTEXT_IDS:
        value = context.get(key)
        if value is not None and not (isinstance(value, str) and SLACK_ID.fullmatch(value)):
            return f"{key} is not a Slack id"
    for key in CONTEXT_STRINGS:
        if not isinstance(context.get(key, ""), str):
            return f"{key} is not a string"
    if "response_url" in context and not _is_http_url(context["response_url"]):
        return "response_url is not an http(s) URL"
    for key in ENVELOPE_STRINGS:
        if not isinstance(body.get(key, ""), str):
            return f"{key} is not a string"
    if "event_id" in body and not EVENT_ID.fullmatch(body["event_id"]):
        return "event_id is not an event id"
    if "command" in body and not all(isinstance(v, str) for v in body.values()):
        return "a slash command's field is not a string"  # Slack sends them form-encoded
    if "actions" in body or body.get("type") == "block_actions":
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions:
            return "actions is not a list of actions"
        for action in actions:
            if not (isinstance(action, dict) and isinstance(action.get("action_id"), str)):
                return "an action has no action_id"
            if not isinstance(action.get("block_id", ""), str):
                return "an action's block_id is not a string"
    for key in ("view", "event"):  # Slack's views and events always say their type
        if key in body:
            part = body[key]
            if not (isinstance(part, dict) and isinstance(part.get("type"), str)):
                return f"{key} is not an object with a type"
            if not isinstance(part.get("callback_id", ""), str):
                return f"{key}.callback_id is not a string"
            if not isinstance(part.get("function", {}), dict):
                return f"{key}.function is not an object"
    return _unstorable(body)


def _is_http_url(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _unstorable(body: dict[str, Any]) -> str | None:
    """A string anywhere in the payload no database could store, walked without recursion
    (the JSON parser already refused nesting deeper than Python's recursion limit)."""
    pending: list[Any] = [body]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, str) and UNSTORABLE.search(value):
            return "a string holds NUL or a lone surrogate"
    return None


async def read_slack_request(request: web.Request) -> AsyncBoltRequest | web.Response:
    """The request as Bolt's aiohttp adapter builds it, or the refusal of one Slack would
    never send (see above)."""
    refused = refused_signature_headers(request.headers)
    if refused is not None:
        logger.info("refused a request to %s: %s", EVENTS_PATH, refused)
        return web.json_response({"error": "invalid request"}, status=401)
    try:
        # Slack sends UTF-8 and signs its bytes. Bolt's adapter calls aiohttp's request.text(),
        # which decodes by whatever charset the Content-Type names and raises on bad bytes.
        decoded = (await request.read()).decode("utf-8")
        bolt_request = AsyncBoltRequest(
            body=decoded,
            query=request.query_string,
            headers=request.headers,  # type: ignore[arg-type]
        )
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _bad_request("the body is not UTF-8 JSON or form data")
    except (AttributeError, TypeError, KeyError, IndexError):
        # Bolt reads ids from the parsed body as it builds the request: a JSON value that is
        # not an object, or fields of other types than Slack's.
        return _bad_request("the body is not a Slack payload")
    unreadable = unreadable_payload(bolt_request)
    if unreadable is not None:
        return _bad_request(unreadable)
    return bolt_request


def _bad_request(why: str) -> web.Response:
    logger.info("refused a request to %s: %s", EVENTS_PATH, why)
    return web.json_response({"error": "invalid request"}, status=400)


class ServerLog(logging.LoggerAdapter):
    """aiohttp's server log (aiohttp.server), where aiohttp 3.14 writes a request it could not
    parse as HTTP (headers over 8 KB, a broken request line) with a traceback: anyone can
    send those, so they get one line. Exceptions in our handlers keep their traceback."""

    def exception(self, msg: object, *args: object, exc_info: Any = True, **kwargs: Any) -> None:
        if isinstance(exc_info, HttpProcessingError):
            self.warning("refused a malformed HTTP request (%s)", type(exc_info).__name__)
            return
        super().exception(msg, *args, exc_info=exc_info, **kwargs)


def build_web_app(
    bolt_app: AsyncApp,
    runtime: Runtime,
    *,
    serve_slack_events: bool = True,
    serve_metrics: bool = True,
) -> web.Application:
    """The HTTP routes; in Socket Mode Slack's requests come over the socket instead.
    `serve_metrics` False: /metrics is on a port of its own (METRICS_PORT), or disabled."""

    async def slack_events(request: web.Request) -> web.Response:
        started = time.perf_counter()
        read = await read_slack_request(request)
        if isinstance(read, web.Response):
            runtime.metrics.request("unknown", "refused", elapsed(started))
            return read
        return await to_aiohttp_response(await dispatch(bolt_app, read, runtime.metrics, started))

    async def healthz(_request: web.Request) -> web.Response:
        try:
            async with runtime.sessions() as session:
                await session.execute(text("SELECT 1"))
        except Exception:
            logger.exception("health check: database unreachable")
            return web.json_response({"status": "database unreachable"}, status=503)
        return web.json_response({"status": "ok"})

    async def oauth(request: web.Request) -> web.Response:
        flow = bolt_app.oauth_flow
        assert flow is not None
        bolt_request = await to_bolt_request(request)
        if request.path == INSTALL_PATH:
            return await to_aiohttp_response(await flow.handle_installation(bolt_request))
        return await to_aiohttp_response(await flow.handle_callback(bolt_request))

    web_app = web.Application(
        handler_args={"logger": ServerLog(logging.getLogger("aiohttp.server"))}
    )
    web_app.add_routes(
        [web.get("/healthz", healthz), web.post(webhook.PATH, webhook.notify_handler(runtime))]
    )
    web_app.add_routes(monitoring.routes(runtime, with_metrics=serve_metrics))
    if bolt_app.oauth_flow is not None:
        web_app.add_routes([web.get(INSTALL_PATH, oauth), web.get(REDIRECT_PATH, oauth)])
    if serve_slack_events:
        web_app.add_routes([web.post(EVENTS_PATH, slack_events)])
    return web_app


async def open_runtime(settings: Settings) -> Runtime:
    """Connect to the database, bring its schema up to date and check the encryption keys.
    The runtime owns its engines (and, on SQLite, the lock telling `onboard-bot restore` that
    the file is in use: bot/lifecycle/running.py): `await runtime.close()` when done."""
    if settings.database_url is None:
        settings.onboard_data_dir.mkdir(parents=True, exist_ok=True)
    running_lock = hold_while_running(settings.database)
    engine = create_engine(settings.database)
    # On SQLite, a second engine whose statements run in a worker thread (storage/db.py).
    threaded = create_engine(settings.database, threaded=True) if is_sqlite(engine) else engine
    runtime = Runtime(
        sessions=create_sessionmaker(engine),
        writes=write_sessions(engine),
        long_reads=create_sessionmaker(threaded),
        engine=engine,
        threaded_engine=threaded,
        owned_engines=[engine] if threaded is engine else [engine, threaded],
        retention=timedelta(days=settings.onboard_retention_days),
        metrics=Metrics(enabled=settings.metrics_enabled),
        running_lock=running_lock,
    )
    try:
        await upgrade(engine)
        runtime.keyring = await _keyring(settings, runtime)
        if settings.oauth:
            assert settings.slack_client_id is not None
            # slack_sdk's store writes outside WriteSessions: it needs the threaded engine.
            runtime.installations = EncryptedInstallationStore(
                client_id=settings.slack_client_id,
                engine=threaded,
                keyring=runtime.keyring,
            )
    except BaseException:
        await runtime.close()
        raise
    return runtime


async def _keyring(settings: Settings, runtime: Runtime) -> Keyring:
    """The keys, proven against the database's key check before anything uses them."""
    configured = settings.onboard_encryption_keys
    try:
        keyring = load_keyring(
            configured.get_secret_value() if configured else None, settings.onboard_data_dir
        )
        try:
            await _check_keys(runtime, keyring)
        except IntegrityError:
            # Another replica stored the first key check at the same moment: prove ours
            # against that one.
            await _check_keys(runtime, keyring)
    except EncryptionKeyError as e:
        raise SettingsError(f"bad setting {e}") from None
    return keyring


async def _check_keys(runtime: Runtime, keyring: Keyring) -> None:
    async with runtime.writes.begin() as session:
        stored = await session.get(KeyCheck, 1)
        new = check_canary(keyring, stored.ciphertext if stored else None)
        if new is not None:
            session.add(KeyCheck(id=1, ciphertext=new))


# Young objects a full generation-0 collection may pile up before it runs (CPython's default is
# 700): a request makes thousands of short-lived objects, and fewer, larger collections cost less.
GC_YOUNG_THRESHOLD = 10_000


def _settle_garbage_collector() -> None:
    """Move what start-up built (modules, mappers, templates: alive until exit) out of the
    collector's reach, and collect the young less often. Under a burst of commands the full
    collections otherwise walked all of it, and their pauses were the slowest acks:
    `make bench` p99 at 32 concurrent went from 66 ms to about 28 ms."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)


def _bound_port(runner: web.AppRunner, configured: int) -> int:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return configured


async def serve(settings: Settings) -> None:
    identity = None if settings.oauth else await check_token(settings)
    runtime = await open_runtime(settings)
    try:
        if identity is not None and identity.team_id:
            # One bot token, and it works: its workspace has the app (again), its data stays.
            await workspace_back(runtime, identity.team_id)
        passes = PassRunner.create(runtime, clients_for(settings, runtime))
        bolt_app = await create_app(
            settings, runtime, identity, deliver=passes.deliverer.deliver_queued
        )
        _settle_garbage_collector()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        # The HTTP server runs in both modes: /healthz (and later other routes) need it.
        web_app = build_web_app(
            bolt_app,
            runtime,
            serve_slack_events=not settings.socket_mode,
            serve_metrics=settings.metrics_port is None,
        )
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, settings.host, settings.port).start()
        runners = [runner]
        if settings.metrics_port is not None and settings.metrics_enabled:
            metrics_runner = web.AppRunner(monitoring.metrics_app(runtime), access_log=None)
            await metrics_runner.setup()
            await web.TCPSite(metrics_runner, settings.host, settings.metrics_port).start()
            runners.append(metrics_runner)
        # PORT=0 lets the system choose: log the port actually bound.
        port = _bound_port(runner, settings.port)
        scheduler = start_scheduler(passes)
        handler = None
        if settings.socket_mode:
            assert settings.slack_app_token is not None
            handler = MeasuredSocketModeHandler(
                bolt_app, settings.slack_app_token.get_secret_value(), runtime.metrics
            )
            await handler.connect_async()
            logger.info("connected to Slack in Socket Mode; health check on port %d", port)
        else:
            logger.info("listening on http://%s:%d%s", settings.host, port, EVENTS_PATH)
        await stop.wait()
        scheduler.shutdown(wait=False)
        await passes.wait_idle()
        if handler is not None:
            await handler.close_async()
        for each in runners:
            await each.cleanup()
        logger.info("stopped")
    finally:
        await runtime.close()
