"""The Web API client every part of the app uses, however it got its token."""

from __future__ import annotations

import aiohttp
from slack_sdk.http_retry.async_handler import RetryState
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.web.async_client import AsyncWebClient

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


def web_client(
    token: str | None, base_url: str, session: aiohttp.ClientSession | None = None
) -> AsyncWebClient:
    # One shared HTTP session keeps connections to Slack alive between calls; without it
    # slack_sdk opens a new session, and a new TLS connection, for every call.
    client = AsyncWebClient(
        token=token,
        base_url=base_url,
        session=session,
        retry_handlers=[
            RetryConnectionErrorsUnlessPosting(),
            AsyncRateLimitErrorRetryHandler(max_retry_count=2),
        ],
    )
    return client
