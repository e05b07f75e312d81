"""`onboard-bot`: serve Slack, upgrade the database, export an application."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Settings, SettingsError, load_settings


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if settings.log_level != "DEBUG":
        # Alembic narrates every upgrade at INFO; only its warnings are news to an operator.
        logging.getLogger("alembic").setLevel(logging.WARNING)


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.server import serve

    settings.require_for_serving()
    asyncio.run(serve(settings))
    return 0


def _parse_now(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise SettingsError(
            f"--now {text!r} is not an ISO-8601 time; e.g. 2026-11-25T09:30:00+08:00"
        ) from None
    # A time without a zone is taken as UTC, like every time the bot stores.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def cmd_tick(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import build_client
    from bot.scheduler import PassRunner, single_workspace
    from bot.server import open_runtime

    settings.require_token()
    now = _parse_now(args.now)

    async def run() -> str:
        runtime, engine = await open_runtime(settings)
        try:
            client = build_client(settings, runtime.http_session())
            report = await PassRunner.create(runtime, single_workspace(client)).run_pass(now)
            return f"pass as of {now.isoformat()}: {report}"
        finally:
            await runtime.close()
            await engine.dispose()

    print(asyncio.run(run()))
    return 0


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from bot.server import open_runtime

    async def run() -> None:
        _runtime, engine = await open_runtime(settings)
        await engine.dispose()

    asyncio.run(run())
    print("database schema is up to date")
    return 0


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from bot.server import open_runtime
    from bot.services.export import export_application
    from storage import repositories as repo

    async def run() -> list:
        runtime, engine = await open_runtime(settings)
        try:
            async with runtime.sessions() as session:
                found = await repo.application_by_slug(session, args.team, args.slug)
                if found is None:
                    raise SettingsError(f"no application '{args.slug}' in team '{args.team}'")
                return await export_application(session, found, args.format)
        finally:
            await engine.dispose()

    files = asyncio.run(run())
    if args.output == "-":
        for f in files:
            sys.stdout.write(f.content)
        return 0
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    for f in files:
        (out / f.filename).write_text(f.content, encoding="utf-8")
        print(out / f.filename)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="onboard-bot",
        description="Onboard: the Alipay integration checklist, in Slack.",
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    run = verbs.add_parser(
        "run",
        help="serve Slack (Socket Mode with SLACK_APP_TOKEN, else HTTP on PORT)",
        description="Serve Slack. Upgrades the database schema first.",
    )
    run.set_defaults(handler=cmd_run)

    db = verbs.add_parser("db", help="database maintenance")
    db_verbs = db.add_subparsers(dest="db_verb", required=True, metavar="ACTION")
    db_verbs.add_parser(
        "upgrade", help="apply schema migrations", description="Apply schema migrations."
    ).set_defaults(handler=cmd_db_upgrade)

    tick = verbs.add_parser(
        "tick",
        help="run one scheduler pass (reminders, digests, announcements) and exit",
        description="Run one scheduler pass as of --now (default: now) and exit. It is the "
        "same code `run` calls every minute; a second tick at the same time sends nothing.",
    )
    tick.add_argument(
        "--now", help="ISO-8601 time to run the pass as of (default: now; UTC if no zone)"
    )
    tick.set_defaults(handler=cmd_tick)

    export = verbs.add_parser(
        "export",
        help="write an application's checklist and history to files",
        description="Write an application's checklist and history (CSV: two files; JSON: one).",
    )
    export.add_argument("slug", help="the application's slug, as `/onboard list` shows it")
    export.add_argument("--team", required=True, help="the Slack team (workspace) ID, T…")
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument(
        "-o", "--output", default=".", help="directory to write to, or - for standard output"
    )
    export.set_defaults(handler=cmd_export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace, Settings], int] = args.handler
    try:
        settings = load_settings()
        _configure_logging(settings)
        return handler(args, settings)
    except SettingsError as e:
        print(f"onboard-bot: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
