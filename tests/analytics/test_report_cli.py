"""`onboard-bot report` run as operators run it, on the 60 applications of the fixture."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path

from storage.db import create_engine, create_sessionmaker, upgrade
from tests.analytics.portfolio_fixture import NOW, TEAM, build
from tests.test_cli import onboard_bot


def _data_dir(tmp_path: Path) -> tuple[Path, dict[str, list[int]]]:
    data = tmp_path / "data"
    data.mkdir()

    async def fill() -> dict[str, list[int]]:
        engine = create_engine(f"sqlite+aiosqlite:///{data / 'onboard.db'}")
        try:
            await upgrade(engine)
            async with create_sessionmaker(engine, writes=True).begin() as session:
                return await build(session)
        finally:
            await engine.dispose()

    return data, asyncio.run(fill())


def _report(tmp_path: Path, data: Path, *args: str):
    env = {"ONBOARD_DATA_DIR": str(data)}
    common = ("--team", TEAM, "--since", "90d", "--now", NOW.isoformat())
    return onboard_bot("report", *common, *args, cwd=tmp_path / "cwd", env=env)


def test_json_has_the_figures_per_phase_and_per_application(tmp_path: Path) -> None:
    data, ids = _data_dir(tmp_path)
    result = _report(tmp_path, data, "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    current = document["current"]
    # The hand-checked figures of tests/analytics/test_portfolio_report.py.
    assert current["days_to_go_live"] == {"count": 45, "median": 17.0, "p90": 21.0}
    assert [(p["phase"], p["median"], p["p90"]) for p in current["working_days_per_phase"]] == [
        (1, 3.5, 4.4),
        (2, 3.0, 6.0),
        (3, 4.0, 7.1),
        (4, 2.0, 2.4),
        (5, 1.0, 1.0),
    ]
    assert document["previous"]["days_to_business_start"]["p90"] == 22.2
    assert len(document["applications"]) == 55  # E's five are archived
    first = document["applications"][0]
    assert (first["application_id"], first["stuck"], first["current_phase"]) == (
        ids["B"][0],
        True,
        4,
    )


def test_csv_to_a_file(tmp_path: Path) -> None:
    data, _ = _data_dir(tmp_path)
    out = tmp_path / "report.csv"
    result = _report(tmp_path, data, "--format", "csv", "--output", str(out))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    phases = {
        (r["section"], r["phase"]): (r["count"], r["median"], r["p90"])
        for r in rows
        if r["figure"] == "working_days_in_phase"
    }
    assert phases[("current", "2")] == ("51", "3.0", "6.0")
    assert phases[("previous", "3")] == ("5", "7.0", "8.2")
    assert sum(r["section"] == "application" for r in rows) == 55


def test_a_bad_since_exits_2_saying_what_is_valid(tmp_path: Path) -> None:
    data, _ = _data_dir(tmp_path)
    result = _report(tmp_path, data, "--since", "3 months")
    assert result.returncode == 2
    assert "--since" in result.stderr and "90d" in result.stderr


def test_without_team_the_only_one_with_applications(tmp_path: Path) -> None:
    data, _ = _data_dir(tmp_path)
    env = {"ONBOARD_DATA_DIR": str(data)}
    args = ("report", "--format", "json", "--now", NOW.isoformat())
    result = onboard_bot(*args, cwd=tmp_path / "cwd", env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["current"]["days_to_go_live"]["count"] == 45
