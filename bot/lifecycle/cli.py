"""The operator's data verbs: `purge`, `forget-user`, `backup`, `restore`.

bot/__main__.py registers them (`add_parsers`); each handler opens what it needs itself, so
`onboard-bot --help` imports none of it.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import SettingsError

if TYPE_CHECKING:  # the settings load pydantic: only the verbs themselves read them
    from bot.config import Settings

# Workspace and user ids as Slack writes them (storage keeps them in 32 characters).
TEAM_ID = re.compile(r"[TE][A-Z0-9]{1,31}")
USER_ID = re.compile(r"[UW][A-Z0-9]{1,31}")


def _confirm(question: str, yes: bool) -> bool:
    if yes:
        return True
    if not sys.stdin.isatty():
        raise SettingsError("not confirmed: run it in a terminal to be asked, or add --yes")
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def _table_of_counts(counts: dict[str, int]) -> list[str]:
    width = max(len(name) for name in counts)
    lines = [f"  {name:<{width}}  {count}" for name, count in counts.items()]
    return [*lines, f"  {'total':<{width}}  {sum(counts.values())}"]


def _run(settings: Settings, work: Callable) -> object:
    """`work(runtime)` on the opened database, which is closed afterwards."""
    from bot.__main__ import check_storage, run_async
    from bot.server import open_runtime

    check_storage(settings)

    async def run() -> object:
        runtime = await open_runtime(settings)
        try:
            return await work(runtime)
        finally:
            await runtime.close()

    return run_async(run())


def cmd_purge(args: argparse.Namespace, settings: Settings) -> int:
    from storage import lifecycle

    team = args.team
    if not TEAM_ID.fullmatch(team):
        raise SettingsError(f"--team {team!r} is not a workspace id (T… as `teams` lists them)")

    async def count(runtime) -> dict[str, int]:
        async with runtime.sessions() as session:
            return await lifecycle.count_team(session, team)

    found = _run(settings, count)
    assert isinstance(found, dict)
    if not sum(found.values()):
        print(f"nothing stored for workspace {team}")
        return 0
    if not _confirm(
        f"Delete all {sum(found.values())} rows of workspace {team} (its tokens too)? "
        "This cannot be undone.",
        args.yes,
    ):
        print("nothing deleted")
        return 1

    async def purge(runtime) -> dict[str, int]:
        async with runtime.writes.begin() as session:
            return await lifecycle.purge_team(session, team)

    deleted = _run(settings, purge)
    assert isinstance(deleted, dict)
    print(
        "\n".join([f"deleted workspace {team}'s data, rows per table:", *_table_of_counts(deleted)])
    )
    return 0


def cmd_forget_user(args: argparse.Namespace, settings: Settings) -> int:
    from storage import lifecycle

    user, team = args.user, args.team
    if not USER_ID.fullmatch(user):
        raise SettingsError(f"{user!r} is not a Slack user id (U… or W…)")
    if team is not None and not TEAM_ID.fullmatch(team):
        raise SettingsError(f"--team {team!r} is not a workspace id (T…)")
    where = f"workspace {team}" if team else "every workspace"
    if not _confirm(
        f"Remove {user} from {where}: clear their assignments and replace their id in the "
        "history with “a former member”? This cannot be undone.",
        args.yes,
    ):
        print("nothing changed")
        return 1

    async def forget(runtime) -> dict[str, int]:
        async with runtime.writes.begin() as session:
            return await lifecycle.forget_user(session, user, team)

    changed = _run(settings, forget)
    assert isinstance(changed, dict)
    if not changed or not sum(changed.values()):
        print(f"nothing stored about {user} in {where}")
        return 0
    changed = {name: count for name, count in changed.items() if count}
    lines = [f"removed {user} from {where}, rows deleted or changed per table:"]
    print("\n".join(lines + _table_of_counts(changed)))
    return 0


def _sqlite_database(settings: Settings, verb: str) -> Path:
    from bot.lifecycle.running import sqlite_path

    path = sqlite_path(settings.database)
    if path is None:
        raise SettingsError(
            f"{verb} copies a SQLite database; for PostgreSQL use pg_dump and pg_restore "
            "(see the README's Backups section)"
        )
    return path


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from bot.lifecycle.backup import BackupError, backup

    database = _sqlite_database(settings, "backup")
    try:
        copied = backup(database, Path(args.path))
    except BackupError as e:
        raise SettingsError(str(e)) from None
    print(f"backed up {database} to {copied.path} ({copied.size} bytes, {copied.tables} tables)")
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    from bot.lifecycle.backup import BackupError, restore
    from bot.lifecycle.running import BotRunning

    database = _sqlite_database(settings, "restore")
    source = Path(args.path)
    if database.exists() and not _confirm(
        f"Replace {database} with the backup {source}? What changed since it was made is lost.",
        args.yes,
    ):
        print("nothing restored")
        return 1
    try:
        copied = restore(source, database)
    except (BackupError, BotRunning) as e:
        raise SettingsError(str(e)) from None
    print(f"restored {source} to {copied.path}; the next start brings its schema up to date")
    return 0


def add_parsers(verbs: argparse._SubParsersAction) -> None:
    """Register the verbs on `onboard-bot`'s subparsers."""
    purge = verbs.add_parser(
        "purge",
        help="delete one workspace's data now (checklists, history, credentials, tokens…)",
        description="Delete every row of one workspace: applications, steps, notes, history, "
        "credentials, outbox, contacts, settings and its tokens. Prints the rows deleted per "
        "table. An uninstalled workspace's data is deleted anyway after ONBOARD_RETENTION_DAYS.",
    )
    purge.add_argument("--team", required=True, help="the workspace id, T… (see `teams`)")
    purge.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    purge.set_defaults(handler=cmd_purge)

    forget = verbs.add_parser(
        "forget-user",
        help="remove a person: assignments cleared, their id in history made “a former member”",
        description="For a deletion request: clear the person's assignments, delete their "
        "contact entries, own settings and direct messages, and replace their id wherever it "
        "records who did something (history, done by, notes, settings) with a neutral marker "
        "the history shows as “a former member”. Prints the rows changed per table.",
    )
    forget.add_argument("user", help="the Slack user id, U… or W…")
    forget.add_argument("--team", help="only in this workspace (default: every one)")
    forget.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    forget.set_defaults(handler=cmd_forget_user)

    backup = verbs.add_parser(
        "backup",
        help="copy the SQLite database to PATH, safely while the bot runs",
        description="Copy the SQLite database to PATH with SQLite's online backup API: a "
        "consistent copy while the bot keeps running. PATH is replaced if it exists. "
        "For PostgreSQL use pg_dump.",
    )
    backup.add_argument("path", metavar="PATH", help="the file to write")
    backup.set_defaults(handler=cmd_backup)

    restore = verbs.add_parser(
        "restore",
        help="put a backup back as the SQLite database (refused while a bot runs on it)",
        description="Replace the SQLite database with the backup at PATH. Refused while any "
        "onboard-bot process uses the database; start the bot afterwards. For PostgreSQL "
        "use pg_restore.",
    )
    restore.add_argument("path", metavar="PATH", help="the backup to restore")
    restore.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    restore.set_defaults(handler=cmd_restore)
