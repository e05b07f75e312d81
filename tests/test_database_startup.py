"""A database that cannot be reached or opened stops `onboard-bot` with one line, as operators
run it: a subprocess with a clean environment, each command that opens the database, each
bad setting. The line names the setting and the fix; the exit code is 2; nothing of a
traceback and never the password appears, on stderr or stdout.

PostgreSQL cases that need a server (a missing database, a refused user) use the one
ONBOARD_TEST_POSTGRES_URL names and skip without it; an unreachable port needs none. Cases
about a directory this user cannot write run the command as user id 10001, the image's
`onboard` user, when the tests run as root (root writes anywhere), keeping only the right to
read, so that it can still start Python.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES_URL_VARIABLE
from tests.harness import SIGNING_SECRET

CLI_TIMEOUT = 60.0
PASSWORD = "s3cret-Pa55word"
IMAGE_USER = 10001  # the Dockerfile's `onboard` user

# Every command that opens the database, with what it needs besides.
OPENS_THE_DATABASE = {
    "run": ["run"],
    "db upgrade": ["db", "upgrade"],
    "tick": ["tick", "--now", "2026-11-30T17:00:00Z"],
    "export": ["export", "acme-pos", "--team", "T0001", "-o", "-"],
    "keys rotate": ["keys", "rotate"],
}

DATABASE_URL_HINT = (
    "(postgresql+psycopg://user:password@host:5432/name, sqlite:///path/to/onboard.db, "
    "or unset for a SQLite file in ONBOARD_DATA_DIR)"
)
UNREACHABLE = (
    "onboard-bot: bad setting DATABASE_URL: cannot reach PostgreSQL at 127.0.0.1:1 "
    "(connection refused); check the host and port, and that the server is running and "
    "accepts connections"
)


@dataclass(frozen=True)
class User:
    """Who a command runs as: their user id, a command prefix that switches to them, and what
    their environment needs besides."""

    uid: int
    prefix: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)


def clean_environment() -> dict[str, str]:
    """PATH, HOME and the like from our environment, without any setting of the bot's."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SLACK_", "ONBOARD_"))
        and name not in ("DATABASE_URL", "HOST", "PORT", "LOG_LEVEL")
    }


def onboard_bot(
    *args: str, cwd: Path, env: dict[str, str], as_user: User | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `onboard-bot <args>` to completion (as `as_user`, else ourselves)."""
    user = as_user or User(os.geteuid())
    return subprocess.run(
        [*user.prefix, sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={
            **clean_environment(),
            **user.env,
            # Enough to serve over HTTP, so `run` reaches the database. Slack is a closed
            # port: a bot that went past a bad database would stop naming SLACK_API_URL.
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": "http://127.0.0.1:9/api/",
            **env,
        },
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )


def stopped_with(result: subprocess.CompletedProcess[str], secret: str = PASSWORD) -> str:
    """The one line a run that had to stop printed, once its exit code, its silence on
    stdout, the absence of a traceback and of the secret are checked."""
    output = result.stdout + result.stderr
    assert secret not in output, output
    assert "Traceback" not in output, output
    assert result.returncode == 2, output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{result.stderr}"
    return lines[0]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    path = tmp_path / "cwd"
    path.mkdir()
    return path


@pytest.fixture
def image_user(tmp_path: Path) -> User:
    """A user who is not root to run a command as: as root, user id 10001 keeping only the
    right to read anything (so that Python, under /root, still starts) and not root's right to
    write anywhere; otherwise ourselves, since file modes then bind us already."""
    if os.geteuid() != 0:
        return User(os.geteuid())
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot run as another user")
    prefix = [
        setpriv,
        f"--reuid={IMAGE_USER}",
        f"--regid={IMAGE_USER}",
        "--clear-groups",
        "--inh-caps=+dac_read_search",
        "--ambient-caps=+dac_read_search",
    ]
    # A user id without a passwd entry has no home (slack_sdk asks for one on import); the
    # image's `onboard` user has /nonexistent.
    return User(IMAGE_USER, prefix, {"HOME": "/nonexistent"})


def unwritable_directory(path: Path, user: User) -> Path:
    """A directory `user` cannot write: root's, as a volume Docker made, for user 10001; read
    and execute only, for ourselves."""
    path.mkdir(mode=0o755)
    if user.uid == os.geteuid():
        path.chmod(0o555)
    return path


def postgres_base() -> str:
    base = os.environ.get(POSTGRES_URL_VARIABLE)
    if not base:
        pytest.skip(f"set {POSTGRES_URL_VARIABLE} to run PostgreSQL tests")
    return base


# ---- DATABASE_URL: what no server is needed to refuse ----------------------------------------


@pytest.mark.parametrize("command", OPENS_THE_DATABASE)
def test_an_unsupported_scheme_names_database_url_and_what_it_takes(
    workdir: Path, command: str
) -> None:
    result = onboard_bot(
        *OPENS_THE_DATABASE[command],
        cwd=workdir,
        env={"DATABASE_URL": f"mysql://onboard:{PASSWORD}@db.example.com:3306/onboard"},
    )

    assert stopped_with(result) == (
        f"onboard-bot: bad setting DATABASE_URL: unsupported scheme 'mysql' {DATABASE_URL_HINT}"
    )


def test_a_url_that_is_not_one_names_database_url_without_repeating_it(workdir: Path) -> None:
    result = onboard_bot(
        "db", "upgrade", cwd=workdir, env={"DATABASE_URL": f"onboard:{PASSWORD}@db.example.com"}
    )

    assert stopped_with(result) == (
        f"onboard-bot: bad setting DATABASE_URL: not a database URL {DATABASE_URL_HINT}"
    )


@pytest.mark.parametrize("command", OPENS_THE_DATABASE)
def test_an_unreachable_postgresql_port_names_the_host_and_port(
    workdir: Path, command: str
) -> None:
    """Nothing listens on port 1: the connection is refused at once."""
    result = onboard_bot(
        *OPENS_THE_DATABASE[command],
        cwd=workdir,
        env={"DATABASE_URL": f"postgresql+psycopg://onboard:{PASSWORD}@127.0.0.1:1/onboard"},
    )

    assert stopped_with(result) == UNREACHABLE


def test_the_sync_driver_name_operators_paste_is_checked_the_same(workdir: Path) -> None:
    result = onboard_bot(
        "db",
        "upgrade",
        cwd=workdir,
        env={"DATABASE_URL": f"postgresql://onboard:{PASSWORD}@127.0.0.1:1/onboard"},
    )

    assert stopped_with(result) == UNREACHABLE


# ---- DATABASE_URL: what the server refuses ---------------------------------------------------


def test_a_missing_postgresql_database_names_it_and_how_to_create_it(workdir: Path) -> None:
    base = make_url(postgres_base())
    name = f"onboard_missing_{uuid.uuid4().hex[:8]}"
    url = base.set(drivername="postgresql+psycopg", database=name, password=PASSWORD)
    host, port = base.host, base.port or 5432
    user = f" -U {base.username}" if base.username else ""

    result = onboard_bot(
        "db", "upgrade", cwd=workdir, env={"DATABASE_URL": url.render_as_string(False)}
    )

    assert stopped_with(result) == (
        f'onboard-bot: bad setting DATABASE_URL: PostgreSQL at {host}:{port} has no database "'
        f'{name}"; create it (createdb -h {host} -p {port}{user} {name}) or fix its name'
    )


def test_a_refused_postgresql_user_names_it_and_never_the_password(workdir: Path) -> None:
    base = make_url(postgres_base())
    user = f"onboard_nobody_{uuid.uuid4().hex[:8]}"
    url = base.set(drivername="postgresql+psycopg", username=user, password=PASSWORD)
    host, port = base.host, base.port or 5432

    result = onboard_bot(
        "db", "upgrade", cwd=workdir, env={"DATABASE_URL": url.render_as_string(False)}
    )

    # Which words the server uses depends on its pg_hba.conf: `trust` says the role does not
    # exist, `scram-sha-256` does not tell whether it does.
    said = (f'role "{user}" does not exist', f'password authentication failed for user "{user}"')
    assert stopped_with(result) in {
        f'onboard-bot: bad setting DATABASE_URL: PostgreSQL at {host}:{port} refused the user "'
        f"{user}\" ({reason}); check the user name and password (and the server's pg_hba.conf)"
        for reason in said
    }


# ---- SQLite files and the data directory -----------------------------------------------------


def test_a_data_directory_the_user_cannot_write_names_it_and_the_user_id(
    workdir: Path, tmp_path: Path, image_user: User
) -> None:
    """A Docker volume owned by root, mounted at the image's non-root user's data
    directory: `run` says so, naming the directory and the user id."""
    uid = image_user.uid
    volume = unwritable_directory(tmp_path / "volume", image_user)

    result = onboard_bot(
        "run", cwd=workdir, env={"ONBOARD_DATA_DIR": str(volume)}, as_user=image_user
    )

    assert stopped_with(result) == (
        f"onboard-bot: bad setting ONBOARD_DATA_DIR: user id {uid} cannot write to {volume} "
        f"(Permission denied); let that user write there (e.g. chown {uid} {volume}; for a "
        "mounted volume, chown the host's directory) or choose another directory"
    )


def test_a_data_directory_that_cannot_be_created_names_it(
    workdir: Path, tmp_path: Path, image_user: User
) -> None:
    uid = image_user.uid
    data = unwritable_directory(tmp_path / "readonly", image_user) / "data"

    result = onboard_bot(
        "db", "upgrade", cwd=workdir, env={"ONBOARD_DATA_DIR": str(data)}, as_user=image_user
    )

    assert stopped_with(result) == (
        f"onboard-bot: bad setting ONBOARD_DATA_DIR: cannot create the directory {data} as "
        f"user id {uid} (Permission denied); create it and let that user write to it, or "
        "choose another directory"
    )
    assert not data.exists()


def test_a_sqlite_file_the_user_cannot_write_names_it(
    workdir: Path, tmp_path: Path, image_user: User
) -> None:
    """The directory is writable, the database file in it (left by an earlier run as another
    user) is not."""
    uid = image_user.uid
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o777)
    database = data / "onboard.db"
    with closing(sqlite3.connect(database)) as connection:
        connection.execute("CREATE TABLE earlier (id INTEGER)")
    database.chmod(0o444)

    result = onboard_bot(
        "tick",
        "--now",
        "2026-11-30T17:00:00Z",
        cwd=workdir,
        env={"ONBOARD_DATA_DIR": str(data)},
        as_user=image_user,
    )

    assert stopped_with(result) == (
        f"onboard-bot: bad setting ONBOARD_DATA_DIR: user id {uid} cannot write to {database} "
        f"(Permission denied); let that user write it (e.g. chown {uid} {database}) or choose "
        "another file"
    )


def test_a_sqlite_url_into_a_missing_directory_names_database_url(
    workdir: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere"

    result = onboard_bot(
        "db", "upgrade", cwd=workdir, env={"DATABASE_URL": f"sqlite:///{missing}/onboard.db"}
    )

    assert stopped_with(result) == (
        f"onboard-bot: bad setting DATABASE_URL: the directory {missing} does not exist; "
        "create it or fix the path"
    )


def test_a_file_that_is_not_a_sqlite_database_names_it(workdir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "onboard.db").write_text("not a database, just text that is long enough to read\n")

    result = onboard_bot(
        "export", "acme-pos", "--team", "T0001", cwd=workdir, env={"ONBOARD_DATA_DIR": str(data)}
    )

    assert stopped_with(result) == (
        f"onboard-bot: bad setting ONBOARD_DATA_DIR: cannot open {data / 'onboard.db'} as a "
        "SQLite database (file is not a database); restore it from a backup or choose another "
        "file"
    )


def test_the_key_file_directory_is_checked_with_postgresql_too(
    workdir: Path, tmp_path: Path, image_user: User, postgres_url: str
) -> None:
    """PostgreSQL holds the data, but with no ONBOARD_ENCRYPTION_KEYS the first start writes
    its key file into the data directory: one the user cannot write is named."""
    uid = image_user.uid
    volume = unwritable_directory(tmp_path / "volume", image_user)

    result = onboard_bot(
        "db",
        "upgrade",
        cwd=workdir,
        env={"DATABASE_URL": postgres_url, "ONBOARD_DATA_DIR": str(volume)},
        as_user=image_user,
    )

    assert stopped_with(result) == (
        f"onboard-bot: bad setting ONBOARD_DATA_DIR: user id {uid} cannot write to {volume} "
        f"(Permission denied); let that user write there (e.g. chown {uid} {volume}; for a "
        "mounted volume, chown the host's directory) or choose another directory"
    )


# ---- and what still works --------------------------------------------------------------------


def test_an_empty_database_url_means_the_default_sqlite_file(workdir: Path) -> None:
    """`DATABASE_URL=` (as .env.example invites) is unset: the data directory is made and
    the SQLite file created in it."""
    result = onboard_bot("db", "upgrade", cwd=workdir, env={"DATABASE_URL": ""})

    assert result.returncode == 0, result.stderr
    assert (workdir / "data" / "onboard.db").is_file()


def test_a_writable_data_directory_for_the_image_user_starts(
    workdir: Path, tmp_path: Path, image_user: User
) -> None:
    """The same user, given the directory, gets a database: the check refuses only what
    cannot work."""
    uid = image_user.uid
    volume = tmp_path / "volume"
    volume.mkdir()
    if uid != os.geteuid():
        os.chown(volume, uid, uid)

    result = onboard_bot(
        "db", "upgrade", cwd=workdir, env={"ONBOARD_DATA_DIR": str(volume)}, as_user=image_user
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == "database schema is up to date\n"
    assert (volume / "onboard.db").stat().st_uid == uid
