"""The Web API client every part of the app uses, however it got its token."""

from __future__ import annotations

from weakref import WeakKeyDictionary

import aiohttp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler, RetryState
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.monitoring.metrics import Metrics

# Calls that post something: a dropped connection may have lost only Slack's answer, so
# trying again could post twice. Delivery checks whether such a send arrived before it sends
# again (bot/delivery.py).
_POSTS = ("chat.postMessage",)


class RetryConnectionErrorsUnlessPosting(AsyncConnectionErrorRetryHandler):
    """slack_sdk's retry of dropped connections, except for calls that post a message.
    `_can_retry_async` is the hook slack_sdk documents for custom retry handlers (checked
    with slack-sdk 3.48; tests/test_uncertain_send.py fails if it stops being called)."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if request.url.rstrip("/").endswith(_POSTS):
            return False
        return await super()._can_retry_async(
            state=state, request=request, response=response, error=error
        )


class CountCalls(AsyncRetryHandler):
    """Never retries: slack_sdk asks its retry handlers about every answer and every failed
    attempt (checked with slack-sdk 3.48), so the first of them sees each one, and counts
    it by method and result."""

    def __init__(self, metrics: Metrics, base_url: str) -> None:
        super().__init__(max_retry_count=0)
        self.metrics = metrics
        self.base_url = base_url

    async def can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        url = request.url
        method = url[len(self.base_url) :].strip("/") if url.startswith(self.base_url) else ""
        self.metrics.api_call(method, _result(response))
        return False


def _result(response: HttpResponse | None) -> str:
    if response is None:
        return "error"  # no answer: the connection failed or timed out
    if response.status_code == 429:
        return "429"
    body = response.body
    if response.status_code >= 400 or (isinstance(body, dict) and body.get("ok") is False):
        return "error"
    return "ok"


# The metrics of the HTTP sessions whose clients count their calls (`count_calls`).
_COUNTED: WeakKeyDictionary[aiohttp.ClientSession, Metrics] = WeakKeyDictionary()


def count_calls(session: aiohttp.ClientSession, metrics: Metrics) -> None:
    """Every client made on `session` from now on counts its calls in `metrics`. The runtime
    does this for its shared session (bot/runtime.py), so the clients requests, passes and
    OAuth use all count, wherever they are built."""
    _COUNTED[session] = metrics


def web_client(
    token: str | None, base_url: str, session: aiohttp.ClientSession | None = None
) -> AsyncWebClient:
    # One shared HTTP session keeps connections to Slack alive between calls; without it
    # slack_sdk opens a new session, and a new TLS connection, for every call.
    handlers: list[AsyncRetryHandler] = [
        RetryConnectionErrorsUnlessPosting(),
        AsyncRateLimitErrorRetryHandler(max_retry_count=2),
    ]
    metrics = _COUNTED.get(session) if session is not None else None
    if metrics is not None and metrics.enabled:
        handlers.insert(0, CountCalls(metrics, base_url))
    return AsyncWebClient(token=token, base_url=base_url, session=session, retry_handlers=handlers)
