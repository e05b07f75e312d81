"""`onboard-bot` start-up: the wall time of `--help` and of `signature verify`, each the
median of several runs in a fresh interpreter, beside a bare interpreter's (`python -c pass`).

`python -m bench.startup_bench` prints the rows alone.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import processes

RUNS = 7
TARGET_SECONDS = 0.3
REQUEST = ("--method", "POST", "--path", "/ams/api/v1/payments/pay", "--client-id", "C1")
REQUEST_TIME = ("--request-time", "2026-11-25T10:00:00+08:00")


@dataclass
class StartupResult:
    help_seconds: float
    verify_seconds: float
    bare_seconds: float


def _median_wall(args: list[str], runs: int) -> float:
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, *args],
            cwd=processes.ROOT,
            env=processes.clean_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
        )
        walls.append(time.perf_counter() - started)
    return statistics.median(walls)


def _cli(*args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=processes.ROOT,
        env=processes.clean_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def run(runs: int = RUNS) -> StartupResult:
    with tempfile.TemporaryDirectory() as tmp:
        key, body = Path(tmp) / "merchant.pem", Path(tmp) / "body.json"
        body.write_text('{"paymentRequestId":"pay-1"}')
        public = _cli("keygen", "--private-key-file", str(key))
        request = (*REQUEST, *REQUEST_TIME, "--body-file", str(body))
        header = _cli("signature", "sign", "--private-key-file", str(key), *request)
        verify = ["signature", "verify", "--public-key", public, "--signature", header, *request]
        assert _cli(*verify) == "valid"
        return StartupResult(
            help_seconds=_median_wall(["-m", "bot", "--help"], runs),
            verify_seconds=_median_wall(["-m", "bot", *verify], runs),
            bare_seconds=_median_wall(["-c", "pass"], runs),
        )


Row = Callable[[str, str, str, str, str, bool | None], str]


def rows(result: StartupResult, row: Row) -> list[str]:
    return [
        row(
            f"onboard-bot {what} start-up (median of {RUNS})",
            f"{seconds:.2f} s",
            f"python -c pass {result.bare_seconds:.2f} s",
            f"{seconds / result.bare_seconds:.1f}×",
            f"< {TARGET_SECONDS} s",
            seconds < TARGET_SECONDS,
        )
        for what, seconds in (
            ("--help", result.help_seconds),
            ("signature verify", result.verify_seconds),
        )
    ]


def _row(what: str, onboard: str, bare: str, ratio: str, target: str, ok: bool | None) -> str:
    verdict = "" if ok is None else ("ok" if ok else "MISSED")
    return f"| {what} | {onboard} | {bare} | {ratio} | {target} | {verdict} |"


if __name__ == "__main__":
    print("\n".join(rows(run(), _row)))
