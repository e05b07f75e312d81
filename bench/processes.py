"""Starting the servers under test as real processes, and reading their memory."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

SIGNING_SECRET = "bench-signing-secret-0123456789abcdef"
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(port: int, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not become healthy")


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "ONBOARD_")) and k not in ("DATABASE_URL", "PORT")
    }
    env.update(extra)
    return env


@contextmanager
def server(args: list[str], env: dict[str, str], port: int):
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in finally, after the process)
    process = subprocess.Popen(
        [sys.executable, *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log
    )
    try:
        try:
            wait_healthy(port, process)
        except RuntimeError:
            log.seek(0)
            sys.stderr.write(log.read().decode()[-3000:])
            raise
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def onboard(port: int, data_dir: Path, api_url: str, token: str, **settings: str):
    """`onboard-bot run` on `port`; `settings` are more environment variables for it."""
    env = clean_env(
        SLACK_BOT_TOKEN=token,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=api_url,
        ONBOARD_DATA_DIR=str(data_dir),
        HOST="127.0.0.1",
        PORT=str(port),
        LOG_LEVEL="WARNING",
        **settings,
    )
    return server(["-m", "bot", "run"], env, port)


def bare(port: int):
    return server(
        ["-m", "bench.bare_app", "--port", str(port), "--secret", SIGNING_SECRET],
        clean_env(),
        port,
    )


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")
