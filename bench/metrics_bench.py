"""What metrics cost a mark: server CPU per `/onboard mark` with METRICS_ENABLED on and off,
two Onboard processes loaded in turn in the same run (drift on a shared machine hits both)."""

from __future__ import annotations

import tempfile
import urllib.request
from pathlib import Path

from bench import processes
from bench.http_bench import TEXTS, LoadResult, load, median_of
from tests.slack_stub import SlackStub


def run(requests: int = 2000, runs: int = 3) -> dict[str, LoadResult]:
    with tempfile.TemporaryDirectory() as tmp, SlackStub(team_id="TBENCH") as slack:
        slack.channel_members["CBENCH"] = ["UBENCH", "UBOT"]
        slack.add_user("UBENCH")
        on_port, off_port = processes.free_port(), processes.free_port()
        with (
            processes.onboard(
                on_port, Path(tmp) / "on", slack.api_url, slack.bot_token, METRICS_ENABLED="true"
            ) as on,
            processes.onboard(
                off_port, Path(tmp) / "off", slack.api_url, slack.bot_token, METRICS_ENABLED="false"
            ) as off,
        ):
            pids = {on_port: on.pid, off_port: off.pid}
            for port in (on_port, off_port):
                load(port, 1, 1, ["new Bench"], pids[port])
                load(port, 200, 32, TEXTS, pids[port])  # warm up
            on_runs, off_runs = [], []
            for _ in range(runs):
                off_runs.append(load(off_port, requests, 32, TEXTS, pids[off_port]))
                on_runs.append(load(on_port, requests, 32, TEXTS, pids[on_port]))
                # A scrape per run, as Prometheus would every 15 s: its cost counts too.
                with urllib.request.urlopen(f"http://127.0.0.1:{on_port}/metrics") as r:
                    r.read()
    return {"on": median_of(on_runs), "off": median_of(off_runs)}


def rows(result: dict[str, LoadResult], row) -> list[str]:
    on, off = result["on"], result["off"]
    return [
        row(
            "server CPU per mark, metrics on vs off",
            f"{on.cpu_ms:.2f} ms",
            f"off: {off.cpu_ms:.2f} ms",
            f"{on.cpu_ms / off.cpu_ms:.3f}×",
            "≤ 1.03×",
            on.cpu_ms <= 1.03 * off.cpu_ms,
        )
    ]


if __name__ == "__main__":  # `python -m bench.metrics_bench`: this row alone
    from bench.__main__ import _row

    print("\n".join(rows(run(), _row)))
