"""Where a command's CPU goes, in-process: Onboard's Bolt app against a bare one.

Builds the real app (SQLite, the Web API stand-in) and the bare Bolt app of bench/bare_app.py
in one process, sends each the same signed `/onboard` requests through `app.async_dispatch`,
32 at a time as the HTTP bench does, and reports CPU time per request (process time, so a
machine shared with other work does not skew it) and their ratio; with `--profile`, cProfile's
view of Onboard's requests (the follow-ups after each ack included).

    python -m bench.profile_mark [--requests 2000] [--command mark] [--profile] [--top 40]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import tempfile
import time
from pathlib import Path

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest

from bench.http_bench import COMMANDS, TEXTS
from bot.app import create_app
from bot.server import open_runtime
from tests.harness import make_settings, signed_headers, slash_command_body
from tests.slack_stub import SlackStub

CONCURRENCY = 32


def bare_app(secret: str) -> AsyncApp:
    identity = AuthorizeResult(
        enterprise_id=None, team_id="T0001", bot_token="xoxb-bare", bot_user_id="UBOT"
    )

    async def authorize() -> AuthorizeResult:
        return identity

    app = AsyncApp(signing_secret=secret, authorize=authorize)

    @app.command("/onboard")
    async def onboard(ack) -> None:
        await ack("ok")

    return app


def request(text: str) -> AsyncBoltRequest:
    body = slash_command_body(text, user_id="UALICE", channel_id="CPAY")
    return AsyncBoltRequest(body=body, headers=signed_headers(body))


async def drive(app: AsyncApp, texts: list[str], requests: int) -> float:
    """CPU seconds per request for `requests` dispatches, CONCURRENCY at a time, follow-ups
    (tasks Bolt leaves running after the ack) included."""
    bodies = [request(texts[i % len(texts)]) for i in range(requests)]
    started = time.process_time()
    for start in range(0, requests, CONCURRENCY):
        answers = await asyncio.gather(
            *(app.async_dispatch(r) for r in bodies[start : start + CONCURRENCY])
        )
        assert all(a.status == 200 for a in answers), [a.body for a in answers]
    await settle()
    return (time.process_time() - started) / requests


async def settle() -> None:
    """Wait for the tasks left running after the acks (follow-ups) to finish."""
    while rest := asyncio.all_tasks() - {asyncio.current_task()}:
        await asyncio.wait(rest)


def package_of(filename: str) -> str:
    """The library (or project package) a function's file belongs to."""
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins"
    parts = Path(filename).parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1]
    for project in ("bot", "storage", "bench", "tests"):
        if project in parts:
            return project
    return "stdlib:" + Path(filename).stem


def by_package(stats: pstats.Stats, requests: int) -> str:
    """Own time (not counting callees) per package, per request: where the CPU goes."""
    totals: dict[str, float] = {}
    for (filename, _line, _name), (_cc, _nc, own, _cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        package = package_of(filename)
        totals[package] = totals.get(package, 0.0) + own
    whole = sum(totals.values())
    lines = [f"own time per request by package (of {1000 * whole / requests:.2f} ms, profiled):"]
    for package, own in sorted(totals.items(), key=lambda kv: -kv[1])[:15]:
        lines.append(f"  {package:<24} {1000 * own / requests:6.3f} ms  {100 * own / whole:4.1f}%")
    return "\n".join(lines)


async def main_async(args: argparse.Namespace, data_dir: Path, slack: SlackStub) -> None:
    settings = make_settings(data_dir, slack)
    runtime = await open_runtime(settings)

    async def deliver(_ids) -> None:
        return None

    app = await create_app(settings, runtime, deliver=deliver)
    bare = bare_app(settings.slack_signing_secret.get_secret_value())
    texts = TEXTS if args.command == "mark" else COMMANDS[args.command]
    try:
        await drive(app, ["new Acme POS"], 1)
        await drive(app, texts, 200)  # warm both
        await drive(bare, texts, 200)
        profiler = cProfile.Profile() if args.profile else None
        bare_cpu = await drive(bare, texts, args.requests)
        if profiler:
            profiler.enable()
        onboard_cpu = await drive(app, texts, args.requests)
        if profiler:
            profiler.disable()
        bare_cpu = (bare_cpu + await drive(bare, texts, args.requests)) / 2
        print(
            f"{args.command}: Onboard {1000 * onboard_cpu:.2f} ms CPU per request, "
            f"bare {1000 * bare_cpu:.2f} ms, ratio {onboard_cpu / bare_cpu:.2f}×"
            + (" (Onboard under cProfile)" if profiler else "")
        )
        if profiler:
            stats = pstats.Stats(profiler)
            if args.dump:
                stats.dump_stats(args.dump)
            print(by_package(stats, args.requests))
            stats.strip_dirs().sort_stats(args.sort).print_stats(args.top)
    finally:
        await runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--command", default="mark", choices=["mark", *COMMANDS])
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--dump", help="also write the profile to this file (pstats)")
    args = parser.parse_args()
    with SlackStub() as slack, tempfile.TemporaryDirectory() as tmp:
        slack.channel_members["CPAY"] = ["UALICE", "UBENCH2", "UBOT"]
        slack.add_user("UALICE")
        slack.add_user("UBENCH2")
        asyncio.run(main_async(args, Path(tmp), slack))


if __name__ == "__main__":
    main()
