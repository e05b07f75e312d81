"""Building the Bolt app: the Web API client, the listeners, nothing that touches the network."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.listeners import register_listeners
from bot.runtime import Runtime


def build_client(settings: Settings) -> AsyncWebClient:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    client = AsyncWebClient(token=token, base_url=settings.slack_api_url)
    # The default handlers already retry connection errors; add waiting out HTTP 429.
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    return client


def build_app(
    settings: Settings, runtime: Runtime, *, client: AsyncWebClient | None = None
) -> AsyncApp:
    secret = settings.slack_signing_secret
    app = AsyncApp(
        client=client or build_client(settings),
        signing_secret=secret.get_secret_value() if secret else "",
        logger=logging.getLogger("bot.bolt"),
    )
    register_listeners(app, runtime)
    return app
