"""Building the Bolt app: the Web API client, who the bot is, and the listeners."""

from __future__ import annotations

import logging

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings, SettingsError
from bot.listeners import register_listeners
from bot.runtime import Runtime


def build_client(
    settings: Settings, session: aiohttp.ClientSession | None = None, *, with_token: bool = True
) -> AsyncWebClient:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    token = token if with_token else None
    # One shared HTTP session keeps connections to Slack alive between calls; without it
    # slack_sdk opens a new session, and a new TLS connection, for every call.
    client = AsyncWebClient(token=token, base_url=settings.slack_api_url, session=session)
    # The default handlers already retry connection errors; add waiting out HTTP 429.
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    return client


async def identify_bot(client: AsyncWebClient, settings: Settings) -> AuthorizeResult:
    """Ask Slack who our token belongs to, once at start, so no request waits on it later."""
    try:
        response = await client.auth_test()
    except SlackApiError as e:
        raise SettingsError(
            f"bad setting SLACK_BOT_TOKEN: Slack refused it ({e.response.get('error')})"
        ) from None
    except (aiohttp.ClientError, OSError) as e:
        raise SettingsError(
            f"cannot reach Slack's Web API at SLACK_API_URL={settings.slack_api_url} "
            f"({type(e).__name__})"
        ) from None
    return AuthorizeResult.from_auth_test_response(
        auth_test_response=response, bot_token=client.token
    )


def build_app(
    settings: Settings,
    runtime: Runtime,
    *,
    client: AsyncWebClient | None = None,
    identity: AuthorizeResult | None = None,
) -> AsyncApp:
    """The Bolt app. With `identity`, requests are authorized without calling Slack."""
    secret = settings.slack_signing_secret

    async def authorize() -> AuthorizeResult | None:
        return identity

    app = AsyncApp(
        client=client or build_client(settings),
        signing_secret=secret.get_secret_value() if secret else "",
        authorize=authorize if identity is not None else None,
        logger=logging.getLogger("bot.bolt"),
    )
    register_listeners(app, runtime)
    return app


async def check_token(settings: Settings) -> AuthorizeResult:
    """Who the bot is, asked before anything else starts, so a refused token stops the start
    with one line and no side effects."""
    async with aiohttp.ClientSession() as session:
        return await identify_bot(build_client(settings, session), settings)


async def create_app(
    settings: Settings, runtime: Runtime, identity: AuthorizeResult | None = None
) -> AsyncApp:
    """The app as served: a shared HTTP session, and the bot's identity known up front."""
    if identity is None:
        identity = await identify_bot(build_client(settings, runtime.http_session()), settings)
    # Requests get their token from `identity`; a token on Bolt's own client would be ignored
    # (and Bolt would warn about it at every start).
    client = build_client(settings, runtime.http_session(), with_token=False)
    return build_app(settings, runtime, client=client, identity=identity)
