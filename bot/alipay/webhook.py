"""`POST /alipay/notify/<application>`: Alipay's notifications, verified with the stored key.

A valid one gets Alipay's success body and is recorded as evidence; anything else gets an
error status, changes nothing, and is logged without its body.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

from aiohttp import web
from cryptography.fernet import InvalidToken

from bot.alipay.signature import verify
from bot.runtime import Runtime
from bot.services import credentials
from bot.services.checklist import template_for
from bot.services.notifications import record_verified
from storage import repositories as repo

logger = logging.getLogger(__name__)

SUCCESS = {"result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"}}
PATH = "/alipay/notify/{slug}"
# What bot/services/checklist.py's slugify makes (and the database holds in 64 characters).
SLUG = re.compile(r"[a-z0-9-]{1,64}")


def _failure(status: int, code: str, message: str) -> web.Response:
    body = {"result": {"resultCode": code, "resultStatus": "F", "resultMessage": message}}
    return web.json_response(body, status=status)


def notify_handler(runtime: Runtime):
    async def alipay_notify(request: web.Request) -> web.Response:
        slug = request.match_info["slug"]
        if not SLUG.fullmatch(slug):
            # Not logged as given: a path can carry newlines and anything else, %-encoded.
            logger.warning("Alipay notification refused: the path names no application")
            runtime.metrics.verification("unknown_application")
            return _failure(404, "UNKNOWN_APPLICATION", "no such application")
        client_id = request.headers.get("client-id", "").strip()
        request_time = request.headers.get("request-time", "").strip()
        signature = request.headers.get("signature", "").strip()
        if not (client_id and request_time and signature):
            logger.warning("Alipay notification for %s refused: missing headers", slug)
            runtime.metrics.verification("malformed")
            return _failure(
                400, "PARAM_ILLEGAL", "client-id, request-time and signature are required"
            )
        try:
            # Alipay signs the body as UTF-8 text; aiohttp decodes it by the declared charset.
            body = await request.text()
        except (UnicodeDecodeError, LookupError):  # not in that charset, or no such charset
            logger.warning("Alipay notification for %s refused: undecodable body", slug)
            runtime.metrics.verification("malformed")
            return _failure(400, "PARAM_ILLEGAL", "the body is not text in its declared charset")
        environment = (
            "sandbox" if client_id.startswith(credentials.SANDBOX_PREFIX) else "production"
        )
        async with runtime.sessions() as session:
            candidates = await repo.applications_by_slug_anywhere(session, slug)
            keyed = []
            for application in candidates:
                try:
                    values = await credentials.load(session, runtime.keyring, application.id)
                except InvalidToken:
                    continue
                key = values.get((environment, "alipay_public_key"))
                stored_client = values.get((environment, "client_id"))
                if key and stored_client in (None, client_id):
                    keyed.append((application, key, values.get((environment, "notify_url"))))
        if not keyed:
            logger.warning(
                "Alipay notification for %s refused: no %s key stored", slug, environment
            )
            runtime.metrics.verification("unknown_application")
            return _failure(
                404, "UNKNOWN_APPLICATION", f"no {environment} Alipay public key for {slug}"
            )
        for application, key, notify_url in keyed:
            # Behind a proxy the public path may differ from ours: try the registered URL's.
            paths = {request.path}
            if notify_url:
                paths.add(urlsplit(notify_url).path)
            for path in paths:
                verdict = verify(
                    key, request.method, path, client_id, request_time, body, signature
                )
                if verdict.valid:
                    async with runtime.writes.begin() as session:
                        current = await repo.application_by_id(session, application.id)
                        if current is not None:
                            await record_verified(
                                session,
                                current,
                                template_for(current),
                                environment,
                                runtime.clock(),
                            )
                    runtime.metrics.verification("verified")
                    return web.json_response(SUCCESS)
        logger.warning(
            "Alipay notification for %s refused: %s (body not logged)",
            slug,
            verdict.reason.split(":")[0],
        )
        runtime.metrics.verification("invalid_signature")
        return _failure(401, "INVALID_SIGNATURE", verdict.reason.split(":")[0])

    return alipay_notify
