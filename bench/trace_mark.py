"""How many of the project's files and functions one `/onboard mark 3.4` passes through.

Serves the real app in-process against the Web API stand-in, warms it with one mark, then
records with `sys.setprofile` every function of `bot/` and `storage/` called while a signed
`/onboard mark 3.4` is answered and its follow-up (redraw, Home, go-live post) is done.

    python -m bench.trace_mark [--list]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from bot.app import build_client
from bot.scheduler import PassRunner, single_workspace
from tests.harness import RunningApp, make_settings
from tests.slack_stub import SlackStub

ROOT = Path(__file__).resolve().parent.parent
PROJECT = (str(ROOT / "bot") + "/", str(ROOT / "storage") + "/")


Calls = dict[str, set[str]]
# Code objects Python makes for expressions, not functions anyone wrote or reads as such.
_EXPRESSIONS = ("<genexpr>", "<listcomp>", "<dictcomp>", "<setcomp>", "<lambda>")


def named(called: Calls) -> Calls:
    return {
        path: {f for f in functions if not f.endswith(_EXPRESSIONS)}
        for path, functions in called.items()
    }


def merged(*parts: Calls) -> Calls:
    out: Calls = defaultdict(set)
    for part in parts:
        for path, functions in part.items():
            out[path] |= functions
    return out


def line(label: str, called: Calls) -> str:
    files = [p for p, f in called.items() if f]
    return f"{label}: {len(files)} files, {sum(len(f) for f in called.values())} functions"


async def trace(data_dir: Path, slack: SlackStub) -> tuple[Calls, Calls]:
    app = await RunningApp(make_settings(data_dir, slack), slack).start()
    try:
        runner = PassRunner.create(app.runtime, single_workspace(build_client(app.settings)))
        app.send_queued = runner.deliverer.deliver_queued
        # Every step before 3.4 done, so that it announces at once rather than asking first;
        # UBOB takes 3.4 himself, so that no assignment DM joins the follow-up traced.
        await app.command("new Acme POS")
        await app.command("status")
        await app.command("assign 3.4 <@UBOB>", user="UBOB")
        await app.command("mark 1 2 3.1 3.2 3.3")
        await slack.wait_for("chat.update")
        slack.clear()
        until_ack: dict[str, set[str]] = defaultdict(set)
        after_ack: dict[str, set[str]] = defaultdict(set)
        called = until_ack

        def profile(frame, event, _arg) -> None:
            if event == "call" and frame.f_code.co_filename.startswith(PROJECT):
                path = frame.f_code.co_filename.removeprefix(str(ROOT) + "/")
                called[path].add(frame.f_code.co_qualname)

        sys.setprofile(profile)
        try:
            reply = await app.command("mark 3.4")
            called = after_ack
            await slack.wait_for("chat.update")
            await slack.wait_for("views.publish")
            await slack.wait_for("chat.postMessage")  # the go-live, sent at once
        finally:
            sys.setprofile(None)
        assert "Marked done: 3.4" in reply.text, reply.text
        return until_ack, after_ack
    finally:
        await app.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="print every file and function")
    args = parser.parse_args()
    with SlackStub() as slack, tempfile.TemporaryDirectory() as tmp:
        slack.channel_members["CPAY"] = ["UALICE", "UBOB", "UBOT"]
        for user in ("UALICE", "UBOB"):
            slack.add_user(user)
        until_ack, after_ack = asyncio.run(trace(Path(tmp), slack))
    called = merged(until_ack, after_ack)
    print(line("/onboard mark 3.4, all code objects", called))
    print(line("  named functions only", named(called)))
    print(line("  until the ack, named functions", named(until_ack)))
    print(line("  the follow-up, named functions", named(after_ack)))
    if args.list:
        for path in sorted(called):
            print(f"  {path}: {', '.join(sorted(called[path]))}")


if __name__ == "__main__":
    main()
