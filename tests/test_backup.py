"""`onboard-bot backup` while the bot runs and writes; `onboard-bot restore` refused while a bot
runs on the database, and afterwards giving back exactly what was backed up."""

from __future__ import annotations

import asyncio
import fcntl
import json
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from bot.lifecycle.running import (
    BotRunning,
    Exclusive,
    hold_while_running,
    lock_path,
    sqlite_path,
)
from tests.harness import RunningApp
from tests.test_cli import onboard_bot

APP = "acme-pos"


def env_for(app: RunningApp, database: Path | None = None) -> dict[str, str]:
    url = f"sqlite:///{database}" if database else app.settings.database
    return {"DATABASE_URL": url, "ONBOARD_DATA_DIR": str(app.settings.onboard_data_dir)}


def export(app: RunningApp, cwd: Path, database: Path | None = None) -> dict:
    result = onboard_bot(
        "export", APP, "--team", "T0001", "--format", "json", "-o", "-",
        cwd=cwd, env=env_for(app, database),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def count(database: Path, sql: str) -> int | str:
    with closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)) as db:
        return db.execute(sql).fetchone()[0]


async def test_a_backup_under_write_load_restores_to_an_identical_export(
    app: RunningApp, tmp_path: Path
) -> None:
    database = sqlite_path(app.settings.database)
    assert database is not None
    assert (await app.command("new Acme POS")).status == 200
    written = 0
    backed_up, under_way = asyncio.Event(), asyncio.Event()
    after_backup = 0

    async def writer() -> None:
        """Notes through the real path (a signed slash command), each a note and a history
        entry in one transaction, until some land after the backup is done."""
        nonlocal written, after_backup
        while after_backup < 3:
            reply = await app.command(f"note 1.2 load {written}")
            assert reply.status == 200 and "Noted" in reply.text
            written += 1
            if written == 5:
                under_way.set()
            if backed_up.is_set():
                after_backup += 1

    writing = asyncio.create_task(writer())
    await under_way.wait()
    backup = tmp_path / "backups" / "onboard.db"
    result = await asyncio.to_thread(
        onboard_bot, "backup", str(backup), cwd=tmp_path / "cli", env=env_for(app)
    )
    backed_up.set()
    await writing
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"backed up {database} to {backup}")

    # Consistent: one moment of the database, each note with its history entry.
    notes = count(backup, "SELECT count(*) FROM notes")
    assert 5 <= notes < written
    assert count(backup, "SELECT count(*) FROM events WHERE kind = 'noted'") == notes
    # One file standing alone, not a WAL database that needs its -wal file beside it.
    assert count(backup, "PRAGMA journal_mode") == "delete"
    # The export of the backup itself (read from a copy, which the export may upgrade).
    copy = tmp_path / "copy" / "onboard.db"
    copy.parent.mkdir()
    shutil.copy(backup, copy)
    expected = await asyncio.to_thread(export, app, tmp_path / "cli", copy)

    # While the bot runs on the database, restore refuses and changes nothing.
    refused = await asyncio.to_thread(
        onboard_bot, "restore", str(backup), "--yes", cwd=tmp_path / "cli", env=env_for(app)
    )
    assert refused.returncode == 2
    assert "a bot is running on this database" in refused.stderr
    assert str(lock_path(database)) in refused.stderr
    assert count(database, "SELECT count(*) FROM notes") == written

    await app.stop()
    try:
        restored = await asyncio.to_thread(
            onboard_bot, "restore", str(backup), "--yes", cwd=tmp_path / "cli", env=env_for(app)
        )
        assert restored.returncode == 0, restored.stderr
        assert count(database, "SELECT count(*) FROM notes") == notes
        assert await asyncio.to_thread(export, app, tmp_path / "cli") == expected
    finally:
        await app.start()  # the fixture stops it


def test_restore_refuses_what_is_not_an_onboard_database(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {"ONBOARD_DATA_DIR": str(data)}
    missing = onboard_bot("restore", str(tmp_path / "nope.db"), "--yes", cwd=tmp_path, env=env)
    assert missing.returncode == 2 and "no backup at" in missing.stderr
    junk = tmp_path / "junk.db"
    junk.write_text("not a database")
    assert (
        "is not a SQLite database"
        in onboard_bot("restore", str(junk), "--yes", cwd=tmp_path, env=env).stderr
    )
    other = tmp_path / "other.db"
    with closing(sqlite3.connect(other)) as db:
        db.execute("CREATE TABLE t (x)")
    assert (
        "not Onboard's" in onboard_bot("restore", str(other), "--yes", cwd=tmp_path, env=env).stderr
    )
    assert not (data / "onboard.db").exists()


def test_postgres_is_pointed_at_pg_dump(tmp_path: Path) -> None:
    env = {"DATABASE_URL": "postgresql+psycopg://onboard@127.0.0.1:1/onboard"}
    for verb in ("backup", "restore"):
        result = onboard_bot(verb, str(tmp_path / "x.db"), cwd=tmp_path, env=env)
        assert result.returncode == 2
        assert "pg_dump" in result.stderr


def test_the_running_lock_is_shared_by_bots_and_exclusive_for_restore(tmp_path: Path) -> None:
    database = tmp_path / "onboard.db"
    url = f"sqlite+aiosqlite:///{database}"
    first, second = hold_while_running(url), hold_while_running(url)  # replicas, tick beside run
    assert first is not None and second is not None
    first.close()
    with pytest.raises(BotRunning):
        Exclusive(database).__enter__()
    second.close()  # as the kernel does when a bot exits, however it exits
    # A bot starting during the restore would wait for it.
    with (
        Exclusive(database),
        open(lock_path(database), "ab") as starting,
        pytest.raises(BlockingIOError),
    ):
        fcntl.flock(starting, fcntl.LOCK_SH | fcntl.LOCK_NB)
    assert hold_while_running("postgresql+psycopg://u@h/db") is None
