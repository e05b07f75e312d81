"""Secrets at rest: the keyring, rotation, the key made on first start, the key check at start,
`onboard-bot keys rotate`, and the database file never holding a stored secret in plaintext."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import sqlite3
import stat
import subprocess
import sys
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings, SettingsError
from bot.crypto import (
    CANARY,
    KEY_FILE,
    EncryptionKeyError,
    Keyring,
    check_canary,
    load_keyring,
)
from bot.server import open_runtime
from bot.services import checklist as svc
from bot.services import credentials
from storage.keys import rotate_all
from storage.models import Credential, KeyCheck

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
CLI_TIMEOUT = 60.0
APP_VARIABLES = ("DATABASE_URL", "HOST", "PORT", "LOG_LEVEL")

OLD = Fernet.generate_key().decode()
NEW = Fernet.generate_key().decode()
OTHER = Fernet.generate_key().decode()

APP_NAME = "Acme Kiosk Zeta"
CLIENT_ID = "SANDBOX_5YABC123"
NOTIFY_URL = "https://pay.example.com/alipay/notify/acme-kiosk-7f3e"

_KEYS: list[rsa.RSAPrivateKey] = []


def public_key_text(n: int) -> str:
    """Base64 DER SPKI of the n-th RSA-2048 test key (made once per module)."""
    while len(_KEYS) <= n:
        _KEYS.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    der = (
        _KEYS[n]
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return base64.b64encode(der).decode()


def secrets() -> dict[tuple[str, str], str]:
    """What the tests store: a client ID, two keys and a notification URL (sandbox)."""
    return {
        ("sandbox", "client_id"): CLIENT_ID,
        ("sandbox", "public_key"): public_key_text(0),
        ("sandbox", "alipay_public_key"): public_key_text(1),
        ("sandbox", "notify_url"): NOTIFY_URL,
    }


# ---- Keyring -----------------------------------------------------------------------------------


def test_encrypt_then_decrypt_gives_the_plaintext_back() -> None:
    keyring = Keyring.parse(NEW)
    plaintext = "SANDBOX_5YABC123 — Clé 支付宝"

    token = keyring.encrypt(plaintext)

    assert keyring.decrypt(token) == plaintext
    assert plaintext not in token and "SANDBOX" not in token
    assert keyring.encrypt(plaintext) != token, "each encryption is fresh (random IV)"


def _flip_one_character(token: str, at: int) -> str:
    char = token[at]
    return token[:at] + ("A" if char != "A" else "B") + token[at + 1 :]


@pytest.mark.parametrize("where", ["version", "timestamp", "iv", "ciphertext", "hmac"])
def test_a_tampered_token_is_an_invalid_token(where: str) -> None:
    keyring = Keyring.parse(NEW)
    token = keyring.encrypt("SANDBOX_5YABC123")
    # Fernet: version (1 byte) | timestamp (8) | IV (16) | ciphertext | HMAC (32), base64url.
    at = {"version": 0, "timestamp": 5, "iv": 20, "ciphertext": 50, "hmac": len(token) - 10}[where]

    with pytest.raises(InvalidToken):
        keyring.decrypt(_flip_one_character(token, at))


def test_a_token_of_another_key_is_an_invalid_token() -> None:
    token = Keyring.parse(OLD).encrypt("secret")

    with pytest.raises(InvalidToken):
        Keyring.parse(NEW).decrypt(token)


def test_rotation_with_newest_first() -> None:
    written = Keyring.parse(OLD).encrypt("SANDBOX_5YABC123")
    both = Keyring.parse(f"{NEW},{OLD}")

    # Old data still reads with the new key listed first ...
    assert both.decrypt(written) == "SANDBOX_5YABC123"
    # ... new data is written with the newest key ...
    assert Keyring.parse(NEW).decrypt(both.encrypt("fresh")) == "fresh"
    # ... and rotate re-encrypts old data so that the new key alone reads it.
    rotated = both.rotate(written)
    assert Keyring.parse(NEW).decrypt(rotated) == "SANDBOX_5YABC123"
    with pytest.raises(InvalidToken):
        Keyring.parse(OLD).decrypt(rotated)


def test_parse_takes_spaces_and_empty_items_around_keys() -> None:
    keyring = Keyring.parse(f"  {NEW} , ,{OLD}\n")

    assert len(keyring.keys) == 2
    assert keyring.decrypt(Keyring.parse(OLD).encrypt("x")) == "x"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        ",",
        " , ,",
        "not-a-fernet-key",
        "c2hvcnQ=",
        f"{NEW},garbage",
        base64.urlsafe_b64encode(os.urandom(48)).decode(),
    ],
    ids=["empty", "spaces", "comma", "commas", "text", "short base64", "second bad", "48 bytes"],
)
def test_parse_errors_are_one_line_naming_the_setting(value: str) -> None:
    with pytest.raises(EncryptionKeyError) as refused:
        Keyring.parse(value)

    message = str(refused.value)
    assert "ONBOARD_ENCRYPTION_KEYS" in message
    assert "\n" not in message
    for part in value.split(","):
        if len(part.strip()) > 8:
            assert part.strip() not in message, "a key (even a bad one) is never echoed"


def test_parse_error_names_which_key_is_bad() -> None:
    with pytest.raises(EncryptionKeyError, match="key 2"):
        Keyring.parse(f"{NEW},garbage")


# ---- the key file made on first start ------------------------------------------------------------


def test_without_a_setting_a_key_file_is_created_owner_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    caplog.set_level(logging.INFO)

    first = load_keyring(None, data)

    path = data / KEY_FILE
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    Fernet(path.read_text().strip().encode())  # a valid Fernet key
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert str(path) in warnings[0].getMessage()
    assert path.read_text().strip() not in caplog.text, "the key itself is never logged"

    caplog.clear()
    second = load_keyring(None, data)

    assert second.decrypt(first.encrypt("same key")) == "same key"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_with_a_setting_no_key_file_is_made(tmp_path: Path) -> None:
    keyring = load_keyring(NEW, tmp_path)

    assert not (tmp_path / KEY_FILE).exists()
    assert Keyring.parse(NEW).decrypt(keyring.encrypt("x")) == "x"


def test_the_canary_is_made_once_and_checked_after() -> None:
    keyring = Keyring.parse(NEW)

    stored = check_canary(keyring, None)

    assert stored is not None and CANARY not in stored
    assert check_canary(keyring, stored) is None
    assert check_canary(Keyring.parse(f"{OTHER},{NEW}"), stored) is None
    with pytest.raises(EncryptionKeyError, match="ONBOARD_ENCRYPTION_KEYS"):
        check_canary(Keyring.parse(OTHER), stored)


# ---- through the real start path -----------------------------------------------------------------


def settings_for(data: Path, keys: str | None = None, database_url: str | None = None) -> Settings:
    return Settings(
        onboard_data_dir=data,
        onboard_encryption_keys=keys,
        database_url=database_url,
        _env_file=None,  # type: ignore[call-arg]
    )


async def start_and_stop(settings: Settings) -> None:
    runtime = await open_runtime(settings)
    await runtime.close()


async def stored_canary(settings: Settings) -> str | None:
    runtime = await open_runtime(settings)
    try:
        async with runtime.sessions() as session:
            row = await session.get(KeyCheck, 1)
            return None if row is None else row.ciphertext
    finally:
        await runtime.close()


async def test_first_start_writes_the_key_check(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "data", NEW)

    canary = await stored_canary(settings)

    assert canary is not None
    assert Keyring.parse(NEW).decrypt(canary) == CANARY
    # A second start keeps it.
    assert await stored_canary(settings) == canary


async def test_first_start_without_keys_makes_a_key_file_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    caplog.set_level(logging.INFO)

    canary = await stored_canary(settings_for(data))

    path = data / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert any(r.levelno == logging.WARNING and str(path) in r.getMessage() for r in caplog.records)
    assert canary is not None
    assert Keyring.parse(path.read_text()).decrypt(canary) == CANARY
    # The next start reads the same file and passes the key check.
    await start_and_stop(settings_for(data))


async def test_a_different_key_at_start_is_a_one_line_settings_error(tmp_path: Path) -> None:
    data = tmp_path / "data"
    await start_and_stop(settings_for(data, OLD))

    with pytest.raises(SettingsError) as refused:
        await start_and_stop(settings_for(data, NEW))

    message = str(refused.value)
    assert "ONBOARD_ENCRYPTION_KEYS" in message
    assert "\n" not in message
    assert NEW not in message and OLD not in message


async def test_a_lost_key_file_is_a_one_line_settings_error(tmp_path: Path) -> None:
    data = tmp_path / "data"
    await start_and_stop(settings_for(data))
    (data / KEY_FILE).unlink()  # a new one is made, which cannot read the database

    with pytest.raises(SettingsError, match="ONBOARD_ENCRYPTION_KEYS") as refused:
        await start_and_stop(settings_for(data))

    assert "\n" not in str(refused.value)


async def test_new_then_old_keys_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    await start_and_stop(settings_for(data, OLD))

    await start_and_stop(settings_for(data, f"{NEW},{OLD}"))


async def write_credentials(settings: Settings) -> int:
    """An application with the sandbox credentials, written through the service; its id."""
    runtime = await open_runtime(settings)
    try:
        assert runtime.keyring is not None
        async with runtime.writes.begin() as session:
            application = await svc.create_application(
                session,
                team_id="T0001",
                channel_id="CPAY",
                owner_id="UALICE",
                name=APP_NAME,
                now=NOW,
            )
            template = svc.template_for(application)
            for (environment, field), value in secrets().items():
                await credentials.set_value(
                    session,
                    runtime.keyring,
                    application,
                    template,
                    environment,
                    field,
                    value,
                    actor_id="UALICE",
                    now=NOW,
                )
            return application.id
    finally:
        await runtime.close()


async def read_credentials(settings: Settings, application_id: int) -> dict[tuple[str, str], str]:
    runtime = await open_runtime(settings)
    try:
        assert runtime.keyring is not None
        async with runtime.sessions() as session:
            return await credentials.load(session, runtime.keyring, application_id)
    finally:
        await runtime.close()


async def ciphertexts(settings: Settings) -> dict[tuple[str, str], str]:
    runtime = await open_runtime(settings)
    try:
        async with runtime.sessions() as session:
            rows = await session.scalars(select(Credential))
            return {(r.environment, r.field): r.ciphertext for r in rows}
    finally:
        await runtime.close()


def clean_environment() -> dict[str, str]:
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SLACK_", "ONBOARD_")) and name not in APP_VARIABLES
    }


def onboard_bot(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    cwd.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**clean_environment(), **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )


def raw_database_bytes(data: Path) -> bytes:
    """The SQLite file (after a full checkpoint) and its WAL, if one is left."""
    db = data / "onboard.db"
    with closing(sqlite3.connect(db)) as connection:
        connection.execute("PRAGMA wal_checkpoint(FULL)").fetchall()
    raw = db.read_bytes()
    wal = db.with_name(db.name + "-wal")
    if wal.exists():
        raw += wal.read_bytes()
    return raw


def assert_no_plaintext_secret_in(raw: bytes) -> None:
    for (environment, field), value in secrets().items():
        assert value.encode() not in raw, f"{environment} {field} found in plaintext"
        if len(value) > 80:  # not even a recognisable piece of a key
            assert value[40:80].encode() not in raw, f"part of {environment} {field} found"
    assert b"5YABC123" not in raw
    assert b"acme-kiosk-7f3e" not in raw
    # The control: non-secrets are stored in the clear, so the search itself works.
    assert APP_NAME.encode() in raw
    assert b"sandbox.client_id" in raw  # the history names the credential, not its value


async def test_the_database_file_never_holds_a_secret_in_plaintext(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = settings_for(data, NEW)
    application_id = await write_credentials(settings)

    assert await read_credentials(settings, application_id) == secrets()
    assert_no_plaintext_secret_in(raw_database_bytes(data))


async def test_keys_rotate_re_encrypts_data_written_under_the_old_key(tmp_path: Path) -> None:
    data = tmp_path / "data"
    application_id = await write_credentials(settings_for(data, OLD))
    before = await ciphertexts(settings_for(data, OLD))
    # Before rotating, the new key alone cannot start on this database.
    with pytest.raises(SettingsError, match="ONBOARD_ENCRYPTION_KEYS"):
        await start_and_stop(settings_for(data, NEW))

    result = await _rotate(tmp_path, data, f"{NEW},{OLD}")

    assert result.returncode == 0, result
    assert "re-encrypted 4 stored secrets" in result.stdout
    after = await ciphertexts(settings_for(data, NEW))
    assert after.keys() == before.keys()
    assert all(after[k] != before[k] for k in after)
    # The new key alone now starts and reads everything back; the old one alone no longer does.
    assert await read_credentials(settings_for(data, NEW), application_id) == secrets()
    new_only = Keyring.parse(NEW)
    assert {k: new_only.decrypt(v) for k, v in after.items()} == secrets()
    with pytest.raises(SettingsError, match="ONBOARD_ENCRYPTION_KEYS"):
        await start_and_stop(settings_for(data, OLD))
    assert_no_plaintext_secret_in(raw_database_bytes(data))


async def _rotate(tmp_path: Path, data: Path, keys: str) -> subprocess.CompletedProcess[str]:
    import asyncio

    env = {"ONBOARD_ENCRYPTION_KEYS": keys, "ONBOARD_DATA_DIR": str(data)}
    return await asyncio.to_thread(onboard_bot, "keys", "rotate", cwd=tmp_path / "cwd", env=env)


async def test_keys_rotate_twice_is_harmless(tmp_path: Path) -> None:
    data = tmp_path / "data"
    application_id = await write_credentials(settings_for(data, OLD))

    for _ in range(2):
        result = await _rotate(tmp_path, data, f"{NEW},{OLD}")
        assert result.returncode == 0, result

    assert await read_credentials(settings_for(data, NEW), application_id) == secrets()


async def test_keys_rotate_with_a_wrong_key_is_a_one_line_error(tmp_path: Path) -> None:
    data = tmp_path / "data"
    application_id = await write_credentials(settings_for(data, OLD))

    result = await _rotate(tmp_path, data, f"{NEW},{OTHER}")

    assert result.returncode == 2, result
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "ONBOARD_ENCRYPTION_KEYS" in lines[0], result.stderr
    assert NEW not in result.stderr and OTHER not in result.stderr
    # Nothing was changed.
    assert await read_credentials(settings_for(data, OLD), application_id) == secrets()


async def test_keys_rotate_also_re_encrypts_slack_installation_tokens(tmp_path: Path) -> None:
    from slack_sdk.oauth.installation_store import Installation

    from bot.installations import EncryptedInstallationStore

    data = tmp_path / "data"
    runtime = await open_runtime(settings_for(data, OLD))
    engine = runtime.engine
    try:
        assert runtime.keyring is not None
        store = EncryptedInstallationStore(
            client_id="111.222", engine=engine, keyring=runtime.keyring
        )
        await store.async_save(
            Installation(
                app_id="A0ONBOARD",
                team_id="T0002",
                user_id="UADMIN",
                bot_token="xoxb-secret-bot-token-0002",
                bot_id="B0002",
                bot_user_id="UBOT2",
                user_token="xoxp-secret-user-token-0002",
            )
        )
    finally:
        await runtime.close()
    assert b"xoxb-secret-bot-token-0002" not in raw_database_bytes(data)

    result = await _rotate(tmp_path, data, f"{NEW},{OLD}")
    assert result.returncode == 0, result

    runtime = await open_runtime(settings_for(data, NEW))

    engine = runtime.engine
    try:
        assert runtime.keyring is not None
        store = EncryptedInstallationStore(
            client_id="111.222", engine=engine, keyring=runtime.keyring
        )
        bot = await store.async_find_bot(enterprise_id=None, team_id="T0002")
        assert bot is not None
        assert bot.bot_token == "xoxb-secret-bot-token-0002"
    finally:
        await runtime.close()


async def test_rotate_all_in_process(tmp_path: Path) -> None:
    data = tmp_path / "data"
    application_id = await write_credentials(settings_for(data, OLD))
    runtime = await open_runtime(settings_for(data, f"{NEW},{OLD}"))
    try:
        assert runtime.keyring is not None
        async with runtime.writes.begin() as session:
            assert await rotate_all(session, runtime.keyring) == 4
    finally:
        await runtime.close()

    assert await read_credentials(settings_for(data, NEW), application_id) == secrets()


# ---- PostgreSQL ----------------------------------------------------------------------------------


async def test_postgres_ciphertexts_never_hold_the_plaintext(
    postgres_url: str, tmp_path: Path
) -> None:
    old = settings_for(tmp_path / "data", OLD, postgres_url)
    application_id = await write_credentials(old)

    async def check(settings: Settings, keyring: Keyring) -> None:
        runtime = await open_runtime(settings)
        try:
            async with runtime.sessions() as session:
                rows = {
                    (r.environment, r.field): r.ciphertext
                    for r in await session.scalars(select(Credential))
                }
                tables = (
                    await session.execute(
                        text(
                            "SELECT table_name FROM information_schema.tables "
                            "WHERE table_schema = current_schema()"
                        )
                    )
                ).scalars()
                dump = ""
                for table in list(tables):
                    result = await session.execute(
                        text(f'SELECT row_to_json(t)::text FROM "{table}" t')
                    )
                    dump += "\n".join(result.scalars())
        finally:
            await runtime.close()
        assert rows.keys() == secrets().keys()
        for key, plaintext in secrets().items():
            assert rows[key] != plaintext
            assert plaintext not in rows[key]
            assert keyring.decrypt(rows[key]) == plaintext
            assert plaintext not in dump, f"{key} in plaintext somewhere in the database"
        assert APP_NAME in dump  # the control

    await check(old, Keyring.parse(OLD))
    # Rotated in process on PostgreSQL too, then read with the new key alone.
    both = settings_for(tmp_path / "data", f"{NEW},{OLD}", postgres_url)
    runtime = await open_runtime(both)
    try:
        assert runtime.keyring is not None
        async with runtime.writes.begin() as session:
            assert await rotate_all(session, runtime.keyring) == 4
    finally:
        await runtime.close()
    new = settings_for(tmp_path / "data", NEW, postgres_url)
    await check(new, Keyring.parse(NEW))
    assert await read_credentials(new, application_id) == secrets()


async def test_replicas_starting_together_on_a_new_database_agree_on_the_key_check(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two replicas with the same key start at once on an empty database: both find no key
    check and both store one. Both must start, and one key check remains."""
    both_looked = asyncio.Barrier(2)
    looks = 0
    original_get = AsyncSession.get

    async def get_then_wait_for_the_other(self, entity, ident, **kwargs):
        nonlocal looks
        found = await original_get(self, entity, ident, **kwargs)
        if entity is KeyCheck and looks < 2:
            looks += 1
            await both_looked.wait()
        return found

    monkeypatch.setattr(AsyncSession, "get", get_then_wait_for_the_other)
    settings = settings_for(tmp_path / "data", NEW, postgres_url)
    runtimes = await asyncio.wait_for(
        asyncio.gather(open_runtime(settings), open_runtime(settings)), timeout=30
    )
    try:
        async with runtimes[0].sessions() as session:
            stored = (await session.scalars(select(KeyCheck))).all()
    finally:
        for runtime in runtimes:
            await runtime.close()
    assert looks == 2
    assert len(stored) == 1
    assert Keyring.parse(NEW).decrypt(stored[0].ciphertext)
