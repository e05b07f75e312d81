"""compose.yaml: two Onboard replicas on PostgreSQL with a named volume, started in health-
checked order, sharing what the README and tests/test_replicas.py say replicas must share.

`docker compose config` validates it where the Compose plugin is installed; everywhere, the
YAML is read and its structure checked."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "compose.yaml"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    with COMPOSE.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def replicas(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: service
        for name, service in compose["services"].items()
        if service.get("build") == "." or str(service.get("image", "")).startswith("onboard")
    }


def shared_settings() -> set[str]:
    """The settings replicas must share: those the README's replicas paragraph names, which
    must be those tests/test_replicas.py gives both of its replicas."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    paragraph = re.search(r"- \*\*Replicas\*\*:(.*?)(?:\n- |\n\n)", readme, re.DOTALL)
    assert paragraph, "the README's replicas paragraph"
    named = set(re.findall(r"`([A-Z][A-Z_]+)`", paragraph.group(1)))
    tested = (ROOT / "tests" / "test_replicas.py").read_text(encoding="utf-8")
    in_test = set(re.findall(r"one\s+([A-Z][A-Z_]+)", tested.split('"""')[1]))
    assert named == in_test == {"DATABASE_URL", "ONBOARD_ENCRYPTION_KEYS"}
    return named


def test_two_replicas_share_what_replicas_need(compose: dict[str, Any]) -> None:
    bots = replicas(compose)
    assert len(bots) == 2, sorted(bots)
    one, two = (bot["environment"] for bot in bots.values())
    for name in shared_settings():
        assert one.get(name) and one.get(name) == two.get(name), name
    # PostgreSQL, not each replica's own SQLite file, and the compose file's database.
    url = one["DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://") and "@postgres:5432/" in url
    # Keys that must be given, never a default that would differ or be empty.
    assert one["ONBOARD_ENCRYPTION_KEYS"].startswith("${ONBOARD_ENCRYPTION_KEYS:?")


def test_postgres_keeps_its_data_in_a_named_volume(compose: dict[str, Any]) -> None:
    postgres = compose["services"]["postgres"]
    assert re.fullmatch(r"postgres:\d+\.\d+\S*", postgres["image"])
    mounts = [m.split(":") for m in postgres["volumes"]]
    assert ["onboard-postgres", "/var/lib/postgresql/data"] in mounts
    assert "onboard-postgres" in compose["volumes"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])


def test_start_order_waits_for_health(compose: dict[str, Any]) -> None:
    bots = replicas(compose)
    for name, bot in bots.items():
        assert bot["depends_on"]["postgres"]["condition"] == "service_healthy", name
        check = " ".join(bot["healthcheck"]["test"])
        port = bot["environment"]["PORT"]
        assert f"127.0.0.1:{port}/healthz" in check, name
    # The second starts once the first is healthy: the schema upgrade runs once, not twice
    # at the same moment.
    first, second = sorted(bots)
    assert bots[second]["depends_on"][first]["condition"] == "service_healthy"
    published = [p.split(":")[0] for bot in bots.values() for p in bot["ports"]]
    assert len(set(published)) == 2


def test_dot_env_example_lists_what_compose_requires() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    required = set(re.findall(r"\$\{([A-Z_]+):\?", text))
    assert required == {"POSTGRES_PASSWORD", "ONBOARD_ENCRYPTION_KEYS"}
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    for name in required:
        assert re.search(rf"^#? ?{name}=", example, re.MULTILINE), name


@pytest.mark.skipif(
    subprocess.run(["docker", "compose", "version"], capture_output=True, check=False).returncode
    if shutil.which("docker")
    else True,
    reason="the Docker Compose plugin is not installed",
)
def test_docker_compose_config_accepts_it(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("POSTGRES_PASSWORD=pw\nONBOARD_ENCRYPTION_KEYS=k\n", encoding="utf-8")
    result = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE), "--env-file", str(env), "config", "--quiet"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
