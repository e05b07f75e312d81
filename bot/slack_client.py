"""The Web API client every part of the app uses, however it got its token."""

from __future__ import annotations

import aiohttp
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient


def web_client(
    token: str | None, base_url: str, session: aiohttp.ClientSession | None = None
) -> AsyncWebClient:
    # One shared HTTP session keeps connections to Slack alive between calls; without it
    # slack_sdk opens a new session, and a new TLS connection, for every call.
    client = AsyncWebClient(token=token, base_url=base_url, session=session)
    # The default handlers already retry connection errors; add waiting out HTTP 429.
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    return client
