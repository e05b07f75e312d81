"""The baseline: a Bolt AsyncApp that only verifies the signature and acks `/onboard`,
served by the same aiohttp stack as Onboard."""

from __future__ import annotations

import argparse

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    args = parser.parse_args()
    # Authorized without calling Slack, as Onboard is, so both do the same work per request
    # but Onboard's own.
    identity = AuthorizeResult(
        enterprise_id=None, team_id="TBENCH", bot_token="xoxb-bare", bot_user_id="UBOT"
    )

    async def authorize() -> AuthorizeResult:
        return identity

    app = AsyncApp(signing_secret=args.secret, authorize=authorize)

    @app.command("/onboard")
    async def onboard(ack) -> None:
        await ack("ok")

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    web_app = web.Application()
    web_app.add_routes([web.post("/slack/events", events), web.get("/healthz", healthz)])
    web.run_app(web_app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
