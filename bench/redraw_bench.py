"""Redraws that follow changes: a burst of `assign`/`note`/`unassign` to one application over
signed HTTP, counting the `chat.update` and `views.publish` calls that reach the Web API
stand-in, and the server CPU per request (the redraws and DMs after the ack included) against
a bare Bolt app's in the same run.

`python -m bench.redraw_bench` prints the rows alone.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import processes
from bench.http_bench import load
from tests.slack_stub import SlackStub

STEPS = [f"{p}.{n}" for p, count in ((1, 5), (2, 5)) for n in range(1, count + 1)]
# Each step assigned, noted and unassigned in turn: every request changes the application,
# the assignee's Home shows it, and every assign queues a DM to the assignee.
MIX = [
    text
    for step in STEPS
    for text in (
        f"assign {step} <@UMEI>",
        f"note {step} checked the sandbox keys",
        f"unassign {step}",
    )
]
CHANGES = 1000
CONCURRENCY = 32
# What follows the last ack: the coalescer's next redraw comes within a second (bot/coalescing.py).
SETTLE_SECONDS = 2.0
WINDOW_SECONDS = 5.0
MOST_PER_WINDOW = 10


@dataclass
class Burst:
    seconds: float  # from the first request to the last ack
    cpu_ms: float  # server CPU per request, until the follow-ups settled
    chat_updates: int = 0
    home_publishes: int = 0


@dataclass
class RedrawResult:
    changes: int
    onboard: Burst  # the median run by its length, with its own counts
    bare_cpu_ms: float  # medians of the runs
    onboard_cpu_ms: float

    def per_window(self, calls: int) -> float:
        """Calls per 1,000 changes in 5 s: the burst's calls, scaled down when the burst took
        longer than 5 s (redraws come about once a second, so a slower burst has more)."""
        scale = WINDOW_SECONDS / max(self.onboard.seconds, WINDOW_SECONDS)
        return calls * (1000 / self.changes) * scale


def _burst(port: int, pid: int, changes: int) -> Burst:
    cpu_before = processes.cpu_seconds(pid)
    result = load(port, changes, CONCURRENCY, MIX, pid)
    time.sleep(SETTLE_SECONDS)  # the last redraws and DMs, after the last ack
    cpu = processes.cpu_seconds(pid) - cpu_before
    return Burst(seconds=changes / result.throughput, cpu_ms=1000 * cpu / changes)


def run(changes: int = CHANGES, runs: int = 3) -> RedrawResult:
    with tempfile.TemporaryDirectory() as tmp, SlackStub(team_id="TBENCH") as slack:
        slack.channel_members["CBENCH"] = ["UBENCH", "UMEI", "UBOT"]
        slack.add_user("UBENCH")
        slack.add_user("UMEI")
        onboard_port, bare_port = processes.free_port(), processes.free_port()
        with (
            processes.onboard(
                onboard_port, Path(tmp) / "data", slack.api_url, slack.bot_token
            ) as onboard,
            processes.bare(bare_port) as bare,
        ):
            load(onboard_port, 1, 1, ["new Bench"], onboard.pid)
            load(onboard_port, 1, 1, ["status"], onboard.pid)  # the message redraws update
            for port, pid in ((bare_port, bare.pid), (onboard_port, onboard.pid)):  # warm up
                load(port, 200, CONCURRENCY, MIX, pid)
            time.sleep(SETTLE_SECONDS)
            bare_runs, onboard_runs = [], []
            for _ in range(runs):  # alternate, so drift on a shared machine hits both
                bare_runs.append(_burst(bare_port, bare.pid, changes))
                slack.clear()
                burst = _burst(onboard_port, onboard.pid, changes)
                burst.chat_updates = len(slack.calls_to("chat.update"))
                burst.home_publishes = len(slack.calls_to("views.publish"))
                onboard_runs.append(burst)
    return RedrawResult(
        changes=changes,
        onboard=sorted(onboard_runs, key=lambda b: b.seconds)[runs // 2],
        bare_cpu_ms=statistics.median(b.cpu_ms for b in bare_runs),
        onboard_cpu_ms=statistics.median(b.cpu_ms for b in onboard_runs),
    )


Row = Callable[[str, str, str, str, str, bool | None], str]


def rows(result: RedrawResult, row: Row) -> list[str]:
    burst = result.onboard
    updates = result.per_window(burst.chat_updates)
    publishes = result.per_window(burst.home_publishes)
    return [
        row(
            "chat.update per 1,000 changes to one app in 5 s",
            f"{updates:.1f}",
            f"({burst.chat_updates} for {result.changes:,} in {burst.seconds:.1f} s)",
            "",
            f"≤ {MOST_PER_WINDOW}",
            updates <= MOST_PER_WINDOW,
        ),
        row(
            "views.publish per 1,000 changes to one app in 5 s",
            f"{publishes:.1f}",
            f"({burst.home_publishes} for {result.changes:,} in {burst.seconds:.1f} s)",
            "",
            f"≤ {MOST_PER_WINDOW}",
            publishes <= MOST_PER_WINDOW,
        ),
        row(
            "server CPU per assign/note/unassign, redraws included",
            f"{result.onboard_cpu_ms:.2f} ms",
            f"{result.bare_cpu_ms:.2f} ms",
            f"{result.onboard_cpu_ms / result.bare_cpu_ms:.2f}×",
            "≤ 1.5×",
            result.onboard_cpu_ms <= 1.5 * result.bare_cpu_ms,
        ),
    ]


def _row(what: str, onboard: str, bare: str, ratio: str, target: str, ok: bool | None) -> str:
    verdict = "" if ok is None else ("ok" if ok else "MISSED")
    return f"| {what} | {onboard} | {bare} | {ratio} | {target} | {verdict} |"


if __name__ == "__main__":
    print("\n".join(rows(run(), _row)))
