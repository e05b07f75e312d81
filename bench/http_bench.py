"""`/onboard mark` over real HTTP against Onboard and a bare Bolt app, load from another process."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench import processes
from tests.slack_stub import SlackStub

# Marks and unmarks in turn, so most requests change something and write history.
STEPS = [f"{p}.{n}" for p, count in ((1, 5), (2, 5), (3, 3), (4, 3)) for n in range(1, count + 1)]
TEXTS = [f"{verb} {step}" for step in STEPS for verb in ("mark", "unmark")]


@dataclass
class LoadResult:
    p50_ms: float
    p99_ms: float
    max_ms: float
    throughput: float
    errors: int
    # The server process's CPU time (user + system) per request: what the throughput costs.
    cpu_ms: float


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
    )


def median_of(results: list[LoadResult]) -> LoadResult:
    return LoadResult(
        p50_ms=statistics.median(r.p50_ms for r in results),
        p99_ms=statistics.median(r.p99_ms for r in results),
        max_ms=max(r.max_ms for r in results),
        throughput=statistics.median(r.throughput for r in results),
        errors=sum(r.errors for r in results),
        cpu_ms=statistics.median(r.cpu_ms for r in results),
    )


def run(requests: int = 2000, runs: int = 3) -> dict[str, LoadResult]:
    with tempfile.TemporaryDirectory() as tmp, SlackStub(team_id="TBENCH") as slack:
        slack.channel_members["CBENCH"] = ["UBENCH", "UBOT"]
        slack.add_user("UBENCH")
        onboard_port, bare_port = processes.free_port(), processes.free_port()
        with (
            processes.onboard(
                onboard_port, Path(tmp) / "data", slack.api_url, slack.bot_token
            ) as onboard,
            processes.bare(bare_port) as bare,
        ):
            servers = {onboard_port: onboard.pid, bare_port: bare.pid}

            def on(port: int, requests: int, concurrency: int, texts: list[str]) -> LoadResult:
                return load(port, requests, concurrency, texts, servers[port])

            on(onboard_port, 1, 1, ["new Bench"])  # the application the marks change
            for port in (bare_port, onboard_port):  # warm up both
                on(port, 200, 32, TEXTS)
            bare_runs, onboard_runs = [], []
            for _ in range(runs):  # alternate, so drift on a shared machine hits both
                bare_runs.append(on(bare_port, requests, 32, TEXTS))
                onboard_runs.append(on(onboard_port, requests, 32, TEXTS))
            bare_200 = on(bare_port, requests, 200, TEXTS)
            onboard_200 = on(onboard_port, requests, 200, TEXTS)
    return {
        "bare_32": median_of(bare_runs),
        "onboard_32": median_of(onboard_runs),
        "bare_200": bare_200,
        "onboard_200": onboard_200,
    }
