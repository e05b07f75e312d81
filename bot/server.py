"""Serving Slack: an aiohttp server for HTTP mode, or a Socket Mode connection."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.alipay import webhook
from bot.app import INSTALL_PATH, REDIRECT_PATH, check_token, clients_for, create_app
from bot.config import Settings, SettingsError
from bot.crypto import EncryptionKeyError, Keyring, check_canary, load_keyring
from bot.installations import EncryptedInstallationStore
from bot.runtime import Runtime
from bot.scheduler import PassRunner, start_scheduler
from storage.db import create_engine, create_sessionmaker, is_sqlite, upgrade, write_sessions
from storage.models import KeyCheck

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


def build_web_app(
    bolt_app: AsyncApp, runtime: Runtime, *, serve_slack_events: bool = True
) -> web.Application:
    """The HTTP routes; in Socket Mode Slack's requests come over the socket instead."""

    async def slack_events(request: web.Request) -> web.Response:
        bolt_response = await bolt_app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

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

    web_app = web.Application()
    web_app.add_routes(
        [web.get("/healthz", healthz), web.post(webhook.PATH, webhook.notify_handler(runtime))]
    )
    if bolt_app.oauth_flow is not None:
        web_app.add_routes([web.get(INSTALL_PATH, oauth), web.get(REDIRECT_PATH, oauth)])
    if serve_slack_events:
        web_app.add_routes([web.post(EVENTS_PATH, slack_events)])
    return web_app


async def open_runtime(settings: Settings) -> Runtime:
    """Connect to the database, bring its schema up to date and check the encryption keys.
    The runtime owns its engines: `await runtime.close()` when done."""
    if settings.database_url is None:
        settings.onboard_data_dir.mkdir(parents=True, exist_ok=True)
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


async def serve(settings: Settings) -> None:
    identity = None if settings.oauth else await check_token(settings)
    runtime = await open_runtime(settings)
    try:
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
        web_app = build_web_app(bolt_app, runtime, serve_slack_events=not settings.socket_mode)
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, settings.host, settings.port).start()
        scheduler = start_scheduler(passes)
        handler = None
        if settings.socket_mode:
            assert settings.slack_app_token is not None
            handler = AsyncSocketModeHandler(bolt_app, settings.slack_app_token.get_secret_value())
            await handler.connect_async()
            logger.info("connected to Slack in Socket Mode; health check on port %d", settings.port)
        else:
            logger.info("listening on http://%s:%d%s", settings.host, settings.port, EVENTS_PATH)
        await stop.wait()
        scheduler.shutdown(wait=False)
        await passes.wait_idle()
        if handler is not None:
            await handler.close_async()
        await runner.cleanup()
        logger.info("stopped")
    finally:
        await runtime.close()
