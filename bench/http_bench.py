"""Slash commands over real HTTP against Onboard and a bare Bolt app, load from another process.

Both servers are CPU-bound on one core at 32 concurrent, so the honest figure is the server's
CPU time per request (from /proc/<pid>/stat), reported beside latency for both; the load
generator's own CPU is reported too, since a load generator near a whole core is the
bottleneck and then flatters the slower server.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench import processes
from tests.slack_stub import SlackStub

# Marks and unmarks in turn, so most requests change something and write history.
STEPS = [f"{p}.{n}" for p, count in ((1, 5), (2, 5), (3, 3), (4, 3)) for n in range(1, count + 1)]
TEXTS = [f"{verb} {step}" for step in STEPS for verb in ("mark", "unmark")]
# The other mutating commands, each alternating so that (nearly) every request changes
# something, on steps the marks above leave alone (3.5 is not announcing, so it may be skipped).
# The assignee is someone else, so `assign` queues a DM and republishes a Home: redraws included.
COMMANDS = {
    "assign": ["assign 3.5 <@UBENCH2>", "unassign 3.5"],
    "due": ["due 3.5 +3d", "due 3.5 +5d"],
    "note": ["note 3.5 checked the sandbox keys again"],
    "skip": ['skip 3.5 "bench: does not apply"', "unskip 3.5"],
}
SETUP = "assign 3.5 <@UBENCH2>"
# Or 3.5 nobody's: then a change republishes no Home, and the row shows the command's own CPU.
SETUP_WITHOUT_HOMES = "unassign 3.5"
# A load generator using more of a core than this is (nearly) the bottleneck.
LOAD_BOTTLENECK_SHARE = 0.85


@dataclass
class LoadResult:
    p50_ms: float
    p99_ms: float
    max_ms: float
    throughput: float
    errors: int
    # The server process's CPU time (user + system) per request: what the throughput costs.
    cpu_ms: float
    # The share of one core the server and the load generator each used over the run.
    server_share: float = 0.0
    load_share: float = 0.0


def load(port: int, requests: int, concurrency: int, texts: list[str], pid: int) -> LoadResult:
    args = [
        sys.executable,
        "-m",
        "bench.load",
        f"http://127.0.0.1:{port}/slack/events",
        processes.SIGNING_SECRET,
        "--requests",
        str(requests),
        "--concurrency",
        str(concurrency),
    ]
    for text in texts:
        args += ["--text", text]
    cpu_before = processes.cpu_seconds(pid)
    out = subprocess.run(args, cwd=processes.ROOT, capture_output=True, text=True, check=True)
    cpu = processes.cpu_seconds(pid) - cpu_before
    data = json.loads(out.stdout)
    latencies = sorted(data["latencies"])
    errors = sum(n for status, n in data["statuses"].items() if status != "200")
    return LoadResult(
        p50_ms=1000 * latencies[len(latencies) // 2],
        p99_ms=1000 * latencies[int(len(latencies) * 0.99) - 1],
        max_ms=1000 * latencies[-1],
        throughput=len(latencies) / data["wall"],
        errors=errors,
        cpu_ms=1000 * cpu / len(latencies),
        server_share=cpu / data["wall"],
        load_share=data["cpu"] / data["wall"],
    )


def median_of(results: list[LoadResult]) -> LoadResult:
    return LoadResult(
        p50_ms=statistics.median(r.p50_ms for r in results),
        p99_ms=statistics.median(r.p99_ms for r in results),
        max_ms=max(r.max_ms for r in results),
        throughput=statistics.median(r.throughput for r in results),
        errors=sum(r.errors for r in results),
        cpu_ms=statistics.median(r.cpu_ms for r in results),
        server_share=statistics.median(r.server_share for r in results),
        load_share=max(r.load_share for r in results),
    )


@dataclass
class Pair:
    """One command's figures, Onboard's and the bare app's, from the same run."""

    onboard: LoadResult
    bare: LoadResult


@dataclass
class Results:
    mark: Pair | None = None
    at_200: Pair | None = None
    commands: dict[str, Pair] = field(default_factory=dict)


def run(
    requests: int = 2000,
    runs: int = 3,
    *,
    mark: bool = True,
    at_200: bool = True,
    commands: Sequence[str] = tuple(COMMANDS),
    setup: str = SETUP,
) -> Results:
    results = Results()
    with tempfile.TemporaryDirectory() as tmp, SlackStub(team_id="TBENCH") as slack:
        slack.channel_members["CBENCH"] = ["UBENCH", "UBENCH2", "UBOT"]
        slack.add_user("UBENCH")
        slack.add_user("UBENCH2")
        onboard_port, bare_port = processes.free_port(), processes.free_port()
        with (
            processes.onboard(
                onboard_port, Path(tmp) / "data", slack.api_url, slack.bot_token
            ) as onboard,
            processes.bare(bare_port) as bare,
        ):

            def pair(texts: list[str], n: int, concurrency: int, times: int) -> Pair:
                bare_runs, onboard_runs = [], []
                for _ in range(times):  # alternate, so drift on a shared machine hits both
                    bare_runs.append(load(bare_port, n, concurrency, texts, bare.pid))
                    onboard_runs.append(load(onboard_port, n, concurrency, texts, onboard.pid))
                return Pair(median_of(onboard_runs), median_of(bare_runs))

            load(onboard_port, 1, 1, ["new Bench"], onboard.pid)  # what the commands change
            pair(TEXTS, 200, 32, 1)  # warm up both
            if mark:
                results.mark = pair(TEXTS, requests, 32, runs)
            for name in commands:
                # Each command starts from the same state: 3.5 someone else's (so a change to it
                # republishes their Home, as in use), not skipped.
                load(onboard_port, 1, 1, [setup], onboard.pid)
                pair(COMMANDS[name], 100, 32, 1)  # warm up this command's paths
                results.commands[name] = pair(COMMANDS[name], max(requests // 2, 100), 32, runs)
                slack.clear()  # the stand-in keeps every call; a long bench needs none of them
            if at_200:
                results.at_200 = pair(TEXTS, requests, 200, 1)
    return results


Row = Callable[[str, str, str, str, str, "bool | None"], str]


def rows(results: Results, row: Row) -> list[str]:
    """The table's rows for what was run: issue #16's targets, ratios against the bare app
    measured in the same run."""
    out: list[str] = []
    if results.mark is not None:
        o, b = results.mark.onboard, results.mark.bare
        out += [
            row(
                "server CPU per mark, 32 concurrent",
                f"{o.cpu_ms:.2f} ms",
                f"{b.cpu_ms:.2f} ms",
                f"{o.cpu_ms / b.cpu_ms:.2f}×",
                "≤ 1.3×",
                o.cpu_ms <= 1.3 * b.cpu_ms,
            ),
            row(
                "mark p50, 32 concurrent",
                f"{o.p50_ms:.1f} ms",
                f"{b.p50_ms:.1f} ms",
                f"{o.p50_ms / b.p50_ms:.2f}×",
                "≤ 1.3×",
                o.p50_ms <= 1.3 * b.p50_ms,
            ),
            row(
                "mark p99, 32 concurrent",
                f"{o.p99_ms:.1f} ms",
                f"{b.p99_ms:.1f} ms",
                f"{o.p99_ms / b.p99_ms:.2f}×",
                "≤ 1.6×",
                o.p99_ms <= 1.6 * b.p99_ms,
            ),
            row(
                "mark throughput, 32 concurrent",
                f"{o.throughput:.0f}/s",
                f"{b.throughput:.0f}/s",
                f"{o.throughput / b.throughput:.2f}×",
                "≥ 0.75×",
                o.throughput >= 0.75 * b.throughput,
            ),
            row(
                "server's share of a core, mark",
                f"{o.server_share:.2f}",
                f"{b.server_share:.2f}",
                "",
                "(≈1: CPU-bound)",
                None,
            ),
            row("errors, 32 concurrent", str(o.errors), str(b.errors), "", "0", o.errors == 0),
        ]
    for name, pair in results.commands.items():
        o, b = pair.onboard, pair.bare
        out.append(
            row(
                f"server CPU per {name}, 32 concurrent",
                f"{o.cpu_ms:.2f} ms",
                f"{b.cpu_ms:.2f} ms",
                f"{o.cpu_ms / b.cpu_ms:.2f}×",
                "≤ 1.5×",
                o.cpu_ms <= 1.5 * b.cpu_ms and o.errors == 0,
            )
        )
    measured = [p for p in (results.mark, *results.commands.values()) if p is not None]
    if measured:
        # The load generator works hardest against the faster server, the bare one.
        share = max(max(p.bare.load_share, p.onboard.load_share) for p in measured)
        out.append(
            row(
                "load generator's share of a core (max)",
                f"{max(p.onboard.load_share for p in measured):.2f}",
                f"{max(p.bare.load_share for p in measured):.2f}",
                "",
                f"< {LOAD_BOTTLENECK_SHARE} (else it is the bottleneck)",
                share < LOAD_BOTTLENECK_SHARE,
            )
        )
    if results.at_200 is not None:
        o, b = results.at_200.onboard, results.at_200.bare
        out.append(
            row(
                "slowest ack, 200 concurrent",
                f"{o.max_ms:.0f} ms",
                f"{b.max_ms:.0f} ms",
                f"{o.max_ms / b.max_ms:.2f}×",
                "well inside 3 s",
                o.max_ms < 1500 and o.errors == 0,
            )
        )
    return out


def warnings(results: Results) -> list[str]:
    """Plain words for a load generator that was the bottleneck: its ratios flatter Onboard."""
    out = []
    pairs = {"mark": results.mark, **results.commands}
    for name, pair in pairs.items():
        if pair is None:
            continue
        for server, r in (("bare", pair.bare), ("Onboard", pair.onboard)):
            if r.load_share >= LOAD_BOTTLENECK_SHARE:
                out.append(
                    f"warning: against the {server} app ({name}) the load generator used "
                    f"{r.load_share:.2f} of a core: it, not the server, was the bottleneck"
                )
    return out
