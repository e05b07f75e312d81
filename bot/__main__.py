"""`onboard-bot`: serve Slack, upgrade the database, export an application.

Each verb imports what it needs inside its function: `--help`, `keygen` and `signature`
load neither the settings nor Slack, the database or the catalogs, and start at once.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from bot.errors import SettingsError

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.runtime import Runtime

T = TypeVar("T")


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run`, with asyncio imported only by the verbs that need it."""
    import asyncio

    return asyncio.run(coroutine)


def _configure_logging(settings: Settings) -> None:
    from bot.monitoring import logs

    logs.configure(settings.log_level, settings.log_format)


def check_storage(settings: Settings) -> None:
    """Open the database once, and make sure the data directory takes the key file if one is
    to be written, before a command opens them for real: a database that cannot be reached or
    opened stops the command with one line naming the setting and the fix, not a traceback."""
    from storage.db import StorageUnavailable, check_database, writable_directory

    try:
        # The default SQLite file's directory is made on the first start.
        run_async(check_database(settings.database, create_directory=settings.database_url is None))
    except StorageUnavailable as e:
        raise SettingsError(f"bad setting {settings.database_setting}: {e}") from None
    if settings.creates_key_file:
        try:
            writable_directory(settings.onboard_data_dir.absolute(), create=True)
        except StorageUnavailable as e:
            raise SettingsError(f"bad setting ONBOARD_DATA_DIR: {e}") from None


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.server import serve

    settings.require_for_serving()
    check_storage(settings)
    run_async(serve(settings))
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
    from bot.app import clients_for
    from bot.scheduler import PassRunner
    from bot.server import open_runtime

    if not settings.oauth:
        settings.require_token()
    now = _parse_now(args.now)
    check_storage(settings)

    async def run() -> str:
        runtime = await open_runtime(settings)
        try:
            runner = PassRunner.create(runtime, clients_for(settings, runtime))
            if args.dry_run:
                plan = await runner.plan_pass(now)
                lines = [f"dry run as of {now.isoformat()}: {plan}"]
                return "\n".join(lines + [f"  {p}" for p in plan.planned])
            report = await runner.run_pass(now)
            return f"pass as of {now.isoformat()}: {report}"
        finally:
            await runtime.close()

    print(run_async(run()))
    return 0


def cmd_teams(args: argparse.Namespace, settings: Settings) -> int:
    from bot.server import open_runtime

    if not settings.oauth:
        # One workspace: the one the bot token belongs to, as Slack says.
        from bot.app import check_token

        settings.require_token()
        identity = run_async(check_token(settings))
        teams = [(identity.team_id or "", identity.team or "")]
    else:
        check_storage(settings)

        async def run() -> list[tuple[str, str]]:
            runtime = await open_runtime(settings)
            try:
                return await _installed_teams(runtime)
            finally:
                await runtime.close()

        teams = run_async(run())
    if not teams:
        print("no workspace has installed the app yet (see /slack/install)", file=sys.stderr)
    for team_id, name in teams:
        print(f"{team_id}\t{name}")
    return 0


async def _installed_teams(runtime: Runtime) -> list[tuple[str, str]]:
    """Each workspace with a bot token installed (OAuth), with its latest name."""
    from sqlalchemy import select

    from storage.models import SLACK_INSTALLATIONS as table

    query = select(table.c.team_id, table.c.team_name).order_by(table.c.installed_at)
    teams: dict[str, str] = {}
    async with runtime.threaded_engine.connect() as connection:
        for team_id, name in await connection.execute(
            query.where(table.c.team_id.is_not(None), table.c.bot_token.is_not(None))
        ):
            teams[team_id] = name or ""  # the latest install's name
    return sorted(teams.items())


def cmd_keygen(args: argparse.Namespace, settings: Settings | None) -> int:
    from bot.alipay.keys import generate_key_pair

    passphrase = None
    if args.passphrase_env:
        value = os.environ.get(args.passphrase_env)
        if not value:
            raise SettingsError(f"--passphrase-env {args.passphrase_env}: that variable is empty")
        passphrase = value.encode()
    path = Path(args.private_key_file)
    try:
        public = generate_key_pair(path, passphrase)
    except FileExistsError:
        raise SettingsError(f"{path} exists; refusing to overwrite a private key") from None
    except OSError as e:
        raise SettingsError(f"cannot write {path}: {e.strerror}") from None
    print(
        f"private key written to {path} (PKCS#8 PEM, owner-only); never share it", file=sys.stderr
    )
    print(f"public key for the Developer Center ({public.describe()}):", file=sys.stderr)
    print(public.one_line)
    return 0


def _read(path: str, what: str) -> str:
    try:
        return Path(path).read_bytes().decode()
    except OSError as e:
        raise SettingsError(f"cannot read {what} {path}: {e.strerror}") from None
    except UnicodeDecodeError:
        raise SettingsError(f"{what} {path} is not UTF-8 text") from None


def _signature_inputs(args: argparse.Namespace) -> str:
    if args.body_file:
        return _read(args.body_file, "the body file")
    return sys.stdin.read()


def cmd_signature_verify(args: argparse.Namespace, settings: Settings | None) -> int:
    from bot.alipay.signature import verify

    key_text = (
        _read(args.public_key[1:], "the public key file")
        if args.public_key.startswith("@")
        else args.public_key
    )
    verdict = verify(
        key_text,
        args.method,
        args.path,
        args.client_id,
        args.request_time,
        _signature_inputs(args),
        args.signature,
    )
    if verdict.valid:
        print("valid")
        return 0
    print(f"invalid: {verdict.reason}")
    print("signed content:")
    print(verdict.content)
    return 1


def cmd_signature_sign(args: argparse.Namespace, settings: Settings | None) -> int:
    from bot.alipay.keys import load_private_key
    from bot.alipay.signature import header_value, sign, signed_content

    passphrase = os.environ.get(args.passphrase_env, "").encode() if args.passphrase_env else None
    try:
        key = load_private_key(Path(args.private_key_file), passphrase or None)
    except OSError as e:
        raise SettingsError(f"cannot read {args.private_key_file}: {e.strerror}") from None
    except (ValueError, TypeError) as e:
        raise SettingsError(f"cannot read the private key {args.private_key_file}: {e}") from None
    content = signed_content(
        args.method, args.path, args.client_id, args.request_time, _signature_inputs(args)
    )
    print(header_value(sign(key, content)))
    return 0


def cmd_keys_rotate(args: argparse.Namespace, settings: Settings) -> int:
    from bot.server import open_runtime
    from storage.keys import rotate_all

    check_storage(settings)

    async def run() -> int:
        runtime = await open_runtime(settings)
        try:
            assert runtime.keyring is not None
            async with runtime.writes.begin() as session:
                return await rotate_all(session, runtime.keyring)
        finally:
            await runtime.close()

    count = run_async(run())
    print(f"re-encrypted {count} stored secrets with the newest key")
    return 0


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from bot.server import open_runtime

    check_storage(settings)

    async def run() -> None:
        runtime = await open_runtime(settings)
        await runtime.close()

    run_async(run())
    print("database schema is up to date")
    return 0


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from bot.server import open_runtime
    from bot.services.export import export_application
    from storage import repositories as repo

    check_storage(settings)

    async def run() -> list:
        runtime = await open_runtime(settings)
        try:
            async with runtime.long_reads() as session:
                found = await repo.application_by_slug(session, args.team, args.slug)
                if found is None:
                    raise SettingsError(f"no application '{args.slug}' in team '{args.team}'")
                return await export_application(session, found, args.format)
        finally:
            await runtime.close()

    files = run_async(run())
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


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import timedelta

    from bot.analytics.export import render
    from bot.analytics.figures import Period, Scope
    from bot.analytics.queries import portfolio_report
    from bot.server import open_runtime

    found = re.fullmatch(r"([1-9][0-9]{0,3})d", args.since)
    if found is None:
        raise SettingsError(f"--since {args.since!r} is not a number of days; e.g. 90d")
    now = _parse_now(args.now)
    period = Period(now - timedelta(days=int(found.group(1))), now)
    check_storage(settings)

    async def run() -> str:
        from sqlalchemy import distinct, select

        from storage.models import Application

        runtime = await open_runtime(settings)
        try:
            async with runtime.long_reads() as session:
                team = args.team
                if team is None:  # the only workspace with applications, else say which
                    teams = (await session.scalars(select(distinct(Application.team_id)))).all()
                    if len(teams) != 1:
                        known = ", ".join(sorted(teams)) or "none yet"
                        raise SettingsError(f"--team is needed; teams with applications: {known}")
                    team = teams[0]
                report = await portfolio_report(session, Scope(team, None), period, now)
            return render(report, args.format)
        finally:
            await runtime.close()

    text = run_async(run())
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
        print(args.output)
    return 0


class _PrintVersion(argparse.Action):
    """`--version`, reading the installed version only when asked (argparse's own action
    takes the text when the parser is built, and importlib.metadata is slow to load)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        print(f"{parser.prog} {_version()}")
        parser.exit()


def _version() -> str:
    """The installed package's version (pyproject.toml, as pip recorded it)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("onboard")
    except PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="onboard-bot",
        description="Onboard: the Alipay integration checklist, in Slack.",
    )
    parser.add_argument("--version", action=_PrintVersion, help="print the version")
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
    tick.add_argument(
        "--dry-run",
        action="store_true",
        help="list what the pass would send, one line each, without claiming, sending or "
        "writing anything",
    )
    tick.set_defaults(handler=cmd_tick)

    keygen = verbs.add_parser(
        "keygen",
        help="make an RSA-2048 key pair for Alipay",
        description="Write a new RSA-2048 private key (PKCS#8 PEM, owner-only) and print the "
        "public key as one line of base64, the form the Developer Center takes.",
    )
    keygen.add_argument("--private-key-file", required=True, help="where to write the private key")
    keygen.add_argument(
        "--passphrase-env", metavar="VAR", help="encrypt the private key with the passphrase in VAR"
    )
    keygen.set_defaults(handler=cmd_keygen, settings=False)

    signature = verbs.add_parser(
        "signature", help="sign or verify an Alipay request signature (diagnose ILLEGAL_SIGN)"
    )
    signature_verbs = signature.add_subparsers(
        dest="signature_verb", required=True, metavar="ACTION"
    )
    for name, about in (
        ("verify", "check a Signature header against a public key; exit 0 when valid, else 1"),
        ("sign", "print the Signature header value for a request"),
    ):
        action = signature_verbs.add_parser(
            name, help=about, description=about[0].upper() + about[1:] + "."
        )
        if name == "verify":
            action.add_argument(
                "--public-key", required=True, help="base64 or PEM public key, or @FILE to read one"
            )
            action.add_argument(
                "--signature", required=True, help="the signature value or the whole header"
            )
            action.set_defaults(handler=cmd_signature_verify, settings=False)
        else:
            action.add_argument(
                "--private-key-file", required=True, help="the merchant's private key (PEM)"
            )
            action.add_argument(
                "--passphrase-env", metavar="VAR", help="read the key's passphrase from VAR"
            )
            action.set_defaults(handler=cmd_signature_sign, settings=False)
        action.add_argument("--method", required=True, help="HTTP method, e.g. POST")
        action.add_argument("--path", required=True, help="e.g. /ams/api/v1/payments/pay")
        action.add_argument("--client-id", required=True, help="the Alipay client ID")
        action.add_argument("--request-time", required=True, help="the request-time header")
        action.add_argument("--body-file", help="the body (default: standard input)")

    keys = verbs.add_parser("keys", help="encryption keys of stored secrets")
    keys_verbs = keys.add_subparsers(dest="keys_verb", required=True, metavar="ACTION")
    keys_verbs.add_parser(
        "rotate",
        help="re-encrypt every stored secret with the newest key",
        description="Re-encrypt every stored secret with the first key of "
        "ONBOARD_ENCRYPTION_KEYS (older keys must still be listed after it).",
    ).set_defaults(handler=cmd_keys_rotate)

    export = verbs.add_parser(
        "export",
        help="write an application's checklist and history to files",
        description="Write an application's checklist and history (CSV: two files; JSON: one).",
    )
    export.add_argument("slug", help="the application's slug, as `/onboard list` shows it")
    export.add_argument("--team", required=True, help="the Slack team (workspace) ID, T…")
    export.add_argument(
        "--format",
        choices=("csv", "json"),
        default="csv",
        help="csv (two files: checklist and history) or json (one); default csv",
    )
    export.add_argument(
        "-o", "--output", default=".", help="directory to write to, or - for standard output"
    )
    export.set_defaults(handler=cmd_export)

    report = verbs.add_parser(
        "report",
        help="write the portfolio report's figures (per application and per phase)",
        description="Write the portfolio report of a team's applications for a BI tool.",
    )
    report.add_argument(
        "--team", help="the Slack team (workspace) ID, T…; needed when several have applications"
    )
    report.add_argument(
        "--format",
        choices=("csv", "json"),
        default="csv",
        help="csv (one table: a row per figure and per application) or json; default csv",
    )
    report.add_argument("--since", default="90d", help="the period: the last N days (90d)")
    report.add_argument("--now", help="as of this ISO-8601 time (default: now)")
    report.add_argument("--output", default="-", help="file to write, or - (standard output)")
    report.set_defaults(handler=cmd_report)

    verbs.add_parser(
        "teams",
        help="list the workspaces the app is installed in, with their ids (for export --team)",
        description="List the Slack workspaces (team id, then name) the app serves: with OAuth "
        "those installed, else the one SLACK_BOT_TOKEN belongs to, as Slack's auth.test says.",
    ).set_defaults(handler=cmd_teams)

    from bot.lifecycle.cli import add_parsers as add_lifecycle_verbs

    add_lifecycle_verbs(verbs)  # purge, forget-user, backup, restore
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    if not (sys.argv[1:] if argv is None else argv):
        # No verb: the whole help rather than argparse's one-line "arguments are required",
        # on stderr with exit status 2 like every other usage error, so a script whose verb
        # came out empty still fails.
        parser.print_help(sys.stderr)
        return 2
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace, Settings | None], int] = args.handler
    try:
        settings = None
        # Verbs that set `settings=False` (keys, signatures) neither need nor check them.
        if getattr(args, "settings", True):
            from bot.config import load_settings

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
