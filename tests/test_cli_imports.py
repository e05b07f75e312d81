"""`onboard-bot --help` and the key and signature verbs import only what they need: not
Slack, the database, the web server, the scheduler, the catalogs or the settings. Checked in
a fresh interpreter by the modules loaded, not by time (that is bench/startup_bench.py's)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.alipay.signature import header_value, sign, signed_content

# What a verb without settings must not load: each costs tens to hundreds of milliseconds.
HEAVY = (
    "slack_bolt",
    "slack_sdk",
    "sqlalchemy",
    "alembic",
    "aiohttp",
    "apscheduler",
    "babel",
    "pydantic",
    "pydantic_settings",
)
# Runs `onboard-bot` in-process and writes its exit status and the modules it loaded.
PROBE = """
import json, sys
from bot.__main__ import main
try:
    code = main(sys.argv[2:])
except SystemExit as e:
    code = e.code
with open(sys.argv[1], "w") as out:
    json.dump({"code": code, "modules": sorted(sys.modules)}, out)
"""
REQUEST = ("--method", "POST", "--path", "/ams/api/v1/payments/pay", "--client-id", "C1")
REQUEST_TIME = "2026-11-25T10:00:00+08:00"


def onboard_bot(tmp_path: Path, *args: str, **env: str) -> tuple[int, set[str], str]:
    """(exit status, top-level packages loaded, standard output)."""
    out = tmp_path / "probe.json"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ONBOARD_"))}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(out), *args],
        cwd=tmp_path,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.exists(), result.stderr
    probe = json.loads(out.read_text())
    return probe["code"], {m.split(".")[0] for m in probe["modules"]}, result.stdout


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, Path]:
    """(public key, signature header, body file) of a request signed here."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    body = tmp_path_factory.mktemp("body") / "body.json"
    body.write_text('{"paymentRequestId":"pay-1"}')
    content = signed_content("POST", REQUEST[3], "C1", REQUEST_TIME, body.read_text())
    return public.decode(), header_value(sign(private, content)), body


@pytest.mark.parametrize(
    "argv", [["--help"], ["signature", "--help"], ["signature", "verify", "--help"]]
)
def test_help_loads_nothing_heavy(tmp_path: Path, argv: list[str]) -> None:
    code, loaded, stdout = onboard_bot(tmp_path, *argv)
    assert code == 0 and "usage: onboard-bot" in stdout
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def test_signature_verify_loads_only_the_signature_code(
    tmp_path: Path, signed: tuple[str, str, Path]
) -> None:
    public, header, body = signed
    verify = ("signature", "verify", "--public-key", public, "--signature", header, *REQUEST)
    args = (*verify, "--request-time", REQUEST_TIME, "--body-file", str(body))

    code, loaded, stdout = onboard_bot(tmp_path, *args)

    assert (code, stdout) == (0, "valid\n")
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))
    assert "cryptography" in loaded  # the verb did run


def test_settings_the_signature_verbs_do_not_use_do_not_stop_them(
    tmp_path: Path, signed: tuple[str, str, Path]
) -> None:
    public, header, body = signed
    verify = ("signature", "verify", "--public-key", public, "--signature", header, *REQUEST)
    args = (*verify, "--request-time", REQUEST_TIME, "--body-file", str(body))

    code, _, stdout = onboard_bot(tmp_path, *args, DATABASE_URL="mysql://nowhere", PORT="x")

    assert (code, stdout) == (0, "valid\n")


def test_the_probe_sees_what_a_verb_with_settings_loads(tmp_path: Path) -> None:
    """The check above would notice: `db upgrade` reads the settings, and they the database."""
    code, loaded, _ = onboard_bot(tmp_path, "db", "upgrade", DATABASE_URL="mysql://nowhere")
    assert code == 2  # refused: an unsupported database
    assert {"pydantic", "sqlalchemy"} <= loaded
