"""`python -m bench.explain_pass [--postgres]`: the plan of every statement a scheduler pass
sends while it plans, over 100,000 applications (1% stalled).

The statements are caught as the pass sends them (SQLAlchemy's cursor events), then each is
explained with its own parameters: EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL (a
scratch database on the server ONBOARD_BENCH_POSTGRES_URL names). Neither runs the statement.
docs/scheduler-at-scale.md keeps a copy of the output.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from sqlalchemy import event

from bench.scheduler_bench import NOW, USER_BASE, _fill, _runtime, postgres_server, scratch_postgres
from bot.app import build_client
from bot.delivery import DeliveryReport
from bot.scheduler import PassRunner, single_workspace
from tests.slack_stub import SlackStub


async def _explain(applications: int, database_url: str | None) -> list[tuple[str, list[str]]]:
    with tempfile.TemporaryDirectory() as tmp, SlackStub() as slack:
        for i in range(100, applications + 1, 100):
            slack.add_user(f"U{USER_BASE + i}")
        async with _runtime(slack, Path(tmp), database_url) as (runtime, settings):
            await _fill(runtime, applications, stalled_every=100, channels=None)
            runner = PassRunner.create(
                runtime, single_workspace(build_client(settings, runtime.http_session()))
            )
            caught: list[tuple[str, object, bool]] = []

            def catch(_conn, _cursor, statement, parameters, _context, executemany) -> None:
                caught.append((statement, parameters, executemany))

            async def planned_only(_now) -> DeliveryReport:
                return DeliveryReport()

            runner.deliverer.deliver_due = planned_only  # type: ignore[method-assign]
            for engine in runtime.owned_engines:
                event.listen(engine.sync_engine, "before_cursor_execute", catch)
            await runner.run_pass(NOW)
            for engine in runtime.owned_engines:
                event.remove(engine.sync_engine, "before_cursor_execute", catch)
            sqlite = runtime.engine.dialect.name == "sqlite"
            plans = []
            async with runtime.engine.connect() as connection:
                for statement, parameters, executemany in caught:
                    if statement.strip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE")):
                        continue
                    one = parameters or ()
                    # An executemany's rows: the first is explained. (A page of
                    # insertmanyvalues comes as one row of all its values.)
                    if (
                        executemany
                        and isinstance(one, list | tuple)
                        and isinstance(one[0], list | tuple | dict)
                    ):
                        one = one[0]
                    one = tuple(one) if isinstance(one, list) else one
                    prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
                    result = await connection.exec_driver_sql(prefix + statement, one)
                    rows = result.all()
                    lines = [f"{r[3]}" for r in rows] if sqlite else [r[0] for r in rows]
                    plans.append((statement, lines))
    return plans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--applications", type=int, default=100_000)
    args = parser.parse_args()
    if args.postgres:
        server = postgres_server()
        if server is None:
            raise SystemExit("set ONBOARD_BENCH_POSTGRES_URL to explain on PostgreSQL")
        with scratch_postgres(server) as url:
            plans = asyncio.run(_explain(args.applications, url))
    else:
        plans = asyncio.run(_explain(args.applications, None))
    for statement, lines in plans:
        print(" ".join(statement.split()))
        print("\n".join(f"    {line}" for line in lines))
        print()


if __name__ == "__main__":
    main()
