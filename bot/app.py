"""Building the Bolt app: the Web API client, who the bot is, and the listeners."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings, SettingsError
from bot.delivery import ClientFor
from bot.followup import Deliver
from bot.installations import per_workspace, state_store
from bot.listeners import register_listeners
from bot.listeners.events import departures
from bot.runtime import Runtime
from bot.scheduler import single_workspace
from bot.slack_client import web_client

# What the bot may do, for OAuth installs; manifest.yml asks for the same.
BOT_SCOPES = (
    "commands",
    "chat:write",
    "im:write",
    "users:read",
    "channels:read",
    "groups:read",
    "files:write",
    # Reading back whether a send whose answer was lost reached Slack (bot/delivery.py).
    "channels:history",
    "groups:history",
    "im:history",
)
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
BOLT_LOGGER = "bot.bolt"


class WithoutRequestBodies(logging.Filter):
    """Bolt (checked with slack-bolt 1.30.0) logs a request whose signature it refuses at INFO
    with the whole body: anyone could write megabytes to the log, one request at a time. The
    line stays; the body, signature and timestamp go."""

    REFUSED = "Invalid request signature detected"

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith(self.REFUSED):
            record.msg, record.args = f"{self.REFUSED} (request not logged)", ()
        return True


class WithoutUnusedTokenWarning(logging.Filter):
    """Bolt's AsyncApp reads SLACK_BOT_TOKEN from the environment when given no `token`, and
    then, having been given a `client` too, warns at every start that "`token` will be
    unused" (checked with slack-bolt 1.30.0). Requests are authorized from the bot's identity
    or the installations, never from that token: the warning is noise, so it goes."""

    UNUSED = "As you gave `client` as well, `token` will be unused."

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != self.UNUSED


def build_client(
    settings: Settings, session: aiohttp.ClientSession | None = None, *, with_token: bool = True
) -> AsyncWebClient:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return web_client(token if with_token else None, settings.slack_api_url, session)


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
    deliver: Deliver,
    client: AsyncWebClient | None = None,
    identity: AuthorizeResult | None = None,
) -> AsyncApp:
    """The Bolt app. With OAuth set up, each workspace's installation authorizes its requests;
    otherwise `identity`, known from the start, does without calling Slack. `deliver` sends
    the outbox messages a change queued, right after it (bot/followup.py)."""
    secret = settings.slack_signing_secret
    extra: dict[str, Any] = {}
    if runtime.installations is not None:
        extra["oauth_flow"] = _oauth_flow(settings, runtime)
    elif identity is not None:

        async def authorize() -> AuthorizeResult | None:
            return identity

        extra["authorize"] = authorize
    bolt_logger = logging.getLogger(BOLT_LOGGER)
    # Bolt gives each of its parts a logger of its own with the filters of this one.
    for kind in (WithoutRequestBodies, WithoutUnusedTokenWarning):
        if not any(isinstance(f, kind) for f in bolt_logger.filters):
            bolt_logger.addFilter(kind())
    app = AsyncApp(
        client=client or build_client(settings),
        signing_secret=secret.get_secret_value() if secret else "",
        logger=bolt_logger,
        # Answered when the listener returns: what follows an ack runs as a task of its own
        # (bot/listeners/after_ack.py) instead of Bolt polling for the ack every 10 ms.
        process_before_response=True,
        **extra,
    )
    # `/onboard` before the rest: Bolt tries listeners in the order they were added, running
    # each one's matcher (and its argument injection) until one matches, and the command is
    # most of the traffic.
    register_listeners(app, runtime, deliver)
    if runtime.installations is not None:
        # tokens_revoked deletes the revoked tokens; app_uninstalled, the workspace's (and
        # schedules its data's deletion: bot/listeners/events/departures.py).
        app.event("tokens_revoked")(app.default_tokens_revoked_event_listener())
    departures.register(app, runtime)
    return app


def _oauth_flow(settings: Settings, runtime: Runtime) -> AsyncOAuthFlow:
    assert settings.slack_client_id and settings.slack_client_secret and runtime.threaded_engine
    return AsyncOAuthFlow(
        # oauth.v2.access goes to SLACK_API_URL like every other call.
        client=web_client(None, settings.slack_api_url, runtime.http_session()),
        settings=AsyncOAuthSettings(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret.get_secret_value(),
            scopes=list(BOT_SCOPES),
            installation_store=runtime.installations,
            state_store=state_store(runtime.threaded_engine),
            install_path=INSTALL_PATH,
            redirect_uri_path=REDIRECT_PATH,
        ),
    )


def clients_for(settings: Settings, runtime: Runtime) -> ClientFor:
    """How work outside a request (scheduler passes) gets a Web API client for a workspace."""
    if runtime.installations is not None:
        return per_workspace(runtime.installations, settings.slack_api_url, runtime.http_session())
    return single_workspace(build_client(settings, runtime.http_session()))


async def check_token(settings: Settings) -> AuthorizeResult:
    """Who the bot is, asked before anything else starts, so a refused token stops the start
    with one line and no side effects."""
    async with aiohttp.ClientSession() as session:
        return await identify_bot(build_client(settings, session), settings)


async def create_app(
    settings: Settings,
    runtime: Runtime,
    identity: AuthorizeResult | None = None,
    *,
    deliver: Deliver,
) -> AsyncApp:
    """The app as served: a shared HTTP session, and the bot's identity known up front."""
    if identity is None and runtime.installations is None:
        identity = await identify_bot(build_client(settings, runtime.http_session()), settings)
    # Requests get their token from `identity`; a token on Bolt's own client would be ignored
    # (and Bolt would warn about it at every start).
    client = build_client(settings, runtime.http_session(), with_token=False)
    return build_app(settings, runtime, deliver=deliver, client=client, identity=identity)
