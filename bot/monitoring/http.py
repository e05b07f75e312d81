"""`GET /metrics` (Prometheus text format) and `GET /readyz` (ready to serve)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from bot.monitoring.database import DatabaseMetrics
from bot.runtime import Runtime

logger = logging.getLogger(__name__)

METRICS_PATH = "/metrics"
READY_PATH = "/readyz"
# A pass runs every minute (bot/scheduler.py): three without one is more than a slow pass.
PASS_WITHIN = timedelta(minutes=3)


def metrics_handler(runtime: Runtime):
    metrics = runtime.metrics
    if metrics.database is None:  # one per registry, however many apps serve it
        metrics.database = DatabaseMetrics(runtime)
        metrics.registry.register(metrics.database)
    database = metrics.database
    assert isinstance(database, DatabaseMetrics)

    async def serve_metrics(_request: web.Request) -> web.Response:
        # The database figures are read here, in the app's loop, before rendering: the
        # registry's own rendering is synchronous and must not wait on the database.
        await database.refresh()
        return web.Response(
            body=generate_latest(metrics.registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    return serve_metrics


async def readiness(runtime: Runtime) -> tuple[bool, dict[str, Any]]:
    """Whether this process can do its work, and each check's answer: the database answers;
    and where this process runs the scheduler (`onboard-bot run` always does: every replica
    runs passes), a pass succeeded within `PASS_WITHIN`, or the process started less than
    that ago and its first pass is still running."""
    checks: dict[str, str] = {}
    failed: list[str] = []
    try:
        async with runtime.sessions() as session:
            await session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as e:
        logger.warning("readiness: database unreachable (%s)", type(e).__name__)
        checks["database"] = "unreachable"
        failed.append("database")
    now, last = runtime.clock(), runtime.metrics.last_pass
    if runtime.passes_since is None:
        checks["scheduler"] = "not run in this process"
    elif last is not None and now - last <= PASS_WITHIN:
        checks["scheduler"] = f"last pass {last.isoformat()}"
    elif last is None and now - runtime.passes_since <= PASS_WITHIN:
        checks["scheduler"] = "first pass still to finish"
    else:
        since = last.isoformat() if last else f"start at {runtime.passes_since.isoformat()}"
        checks["scheduler"] = f"no successful pass since {since}"
        failed.append("scheduler")
    return not failed, {"status": "not ready" if failed else "ready", "failed": failed, **checks}


def ready_handler(runtime: Runtime):
    async def readyz(_request: web.Request) -> web.Response:
        ready, body = await readiness(runtime)
        return web.json_response(body, status=200 if ready else 503)

    return readyz


def routes(runtime: Runtime, *, with_metrics: bool) -> list[web.RouteDef]:
    found = [web.get(READY_PATH, ready_handler(runtime))]
    if with_metrics and runtime.metrics.enabled:
        found.append(web.get(METRICS_PATH, metrics_handler(runtime)))
    return found


def metrics_app(runtime: Runtime) -> web.Application:
    """/metrics alone, for METRICS_PORT."""
    app = web.Application()
    app.add_routes([web.get(METRICS_PATH, metrics_handler(runtime))])
    return app
