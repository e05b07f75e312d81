"""Exports: the checklist and its history as CSV (two tables) or one JSON document."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.checklists import get_template
from bot.services import checklist as svc
from bot.services.export import ExportFile, export_application
from storage.db import create_engine, create_sessionmaker, upgrade
from storage.models import Application

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
STEPS = [s.number for s in get_template().steps]
UNICODE_NOTE = 'Clé «sandbox» — 支付宝 ✓ "quoted", comma\nsecond line'
STEP_COLUMNS = [
    "phase",
    "step",
    "title",
    "done",
    "done_at",
    "done_by",
    "skipped",
    "skipped_at",
    "skipped_by",
    "skip_reason",
    "assignee",
    "due_on",
    "notes",
]
HISTORY_COLUMNS = ["id", "at", "actor", "kind", "step", "old", "new"]


@pytest.fixture
async def sessions(tmp_path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'onboard.db'}")
    try:
        await upgrade(engine)
        yield create_sessionmaker(engine, writes=True)
    finally:
        await engine.dispose()


@pytest.fixture
async def application(sessions: async_sessionmaker[AsyncSession]) -> Application:
    """Acme Café: 1.1 and 1.2 done, 2.1 assigned with a due date and two notes."""
    async with sessions.begin() as session:
        application = await svc.create_application(
            session, team_id="T1", channel_id="CPAY", owner_id="UALICE", name="Acme Café", now=NOW
        )
        await svc.mark_steps(
            session, application, ["1.1", "1.2"], actor_id="UALICE", now=NOW + timedelta(hours=1)
        )
        await svc.assign_step(
            session, application, "2.1", "UBOB", actor_id="UALICE", now=NOW + timedelta(hours=2)
        )
        await svc.set_due(
            session, application, "2.1", date(2026, 12, 1), actor_id="UALICE", now=NOW
        )
        await svc.add_note(
            session, application, "2.1", "=cmd|' /C calc'!A0", actor_id="UBOB", now=NOW
        )
        await svc.add_note(session, application, "2.1", UNICODE_NOTE, actor_id="UCAROL", now=NOW)
    return application


async def export(
    sessions: async_sessionmaker[AsyncSession], application: Application, fmt: str
) -> list[ExportFile]:
    async with sessions.begin() as session:
        return await export_application(session, application, fmt)


def rows_of(content: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(content, newline=""))
    return list(reader.fieldnames or []), list(reader)


async def test_json_export(
    sessions: async_sessionmaker[AsyncSession], application: Application
) -> None:
    [file] = await export(sessions, application, "json")
    assert file.filename == "acme-cafe.json"
    assert "支付宝" in file.content  # written as is, not \u-escaped
    document = json.loads(file.content)

    assert set(document) == {"application", "steps", "history"}
    app = document["application"]
    assert app["name"] == "Acme Café"
    assert app["slug"] == "acme-cafe"
    assert (app["channel"], app["owner"]) == ("CPAY", "UALICE")
    assert app["template"] == {"key": "alipay-instore", "version": 1}
    assert datetime.fromisoformat(app["created_at"]) == NOW
    assert app["archived_at"] is None
    assert app["progress"] == {"done": 2, "skipped": 0, "total": 19}

    steps = {row["step"]: row for row in document["steps"]}
    assert [row["step"] for row in document["steps"]] == STEPS
    assert steps["1.1"]["done"] is True
    assert steps["1.1"]["done_by"] == "UALICE"
    assert datetime.fromisoformat(steps["1.1"]["done_at"]) == NOW + timedelta(hours=1)
    assert steps["1.1"]["phase"] == 1
    assert steps["1.3"]["done"] is False and steps["1.3"]["done_at"] is None
    assert steps["2.1"]["assignee"] == "UBOB"
    assert steps["2.1"]["due_on"] == "2026-12-01"
    assert steps["2.1"]["title"] == "Test APIs"
    assert [(n["author"], n["text"]) for n in steps["2.1"]["notes"]] == [
        ("UBOB", "=cmd|' /C calc'!A0"),  # JSON is data, not a spreadsheet: kept exactly
        ("UCAROL", UNICODE_NOTE),
    ]
    assert all(row["notes"] == [] for row in document["steps"] if row["step"] != "2.1")

    history = document["history"]
    assert [(e["kind"], e["step"], e["actor"]) for e in history] == [
        ("created", None, "UALICE"),
        ("marked", "1.1", "UALICE"),
        ("marked", "1.2", "UALICE"),
        ("assigned", "2.1", "UALICE"),
        ("due", "2.1", "UALICE"),
        ("noted", "2.1", "UBOB"),
        ("noted", "2.1", "UCAROL"),
    ]
    assert (history[3]["old"], history[3]["new"]) == (None, "UBOB")
    assert history[4]["new"] == "2026-12-01"
    assert history[6]["new"] == UNICODE_NOTE
    assert [e["id"] for e in history] == sorted(e["id"] for e in history)
    assert datetime.fromisoformat(history[1]["at"]).utcoffset() == timedelta(0)


async def test_csv_export(
    sessions: async_sessionmaker[AsyncSession], application: Application
) -> None:
    checklist_file, history_file = await export(sessions, application, "csv")
    assert checklist_file.filename == "acme-cafe-checklist.csv"
    assert history_file.filename == "acme-cafe-history.csv"

    header, steps = rows_of(checklist_file.content)
    assert header == STEP_COLUMNS
    assert len(steps) == 19
    assert [row["step"] for row in steps] == STEPS
    by_step = {row["step"]: row for row in steps}
    assert by_step["1.1"]["done"] == "True" and by_step["1.1"]["done_by"] == "UALICE"
    assert datetime.fromisoformat(by_step["1.1"]["done_at"]) == NOW + timedelta(hours=1)
    assert by_step["1.3"]["done"] == "False" and by_step["1.3"]["done_at"] == ""
    assert by_step["2.1"]["assignee"] == "UBOB"
    assert by_step["2.1"]["due_on"] == "2026-12-01"
    assert by_step["2.1"]["notes"] == f"UBOB: =cmd|' /C calc'!A0\nUCAROL: {UNICODE_NOTE}"
    assert by_step["5.1"]["phase"] == "5"

    header, history = rows_of(history_file.content)
    assert header == HISTORY_COLUMNS
    assert [(row["kind"], row["step"]) for row in history] == [
        ("created", ""),
        ("marked", "1.1"),
        ("marked", "1.2"),
        ("assigned", "2.1"),
        ("due", "2.1"),
        ("noted", "2.1"),
        ("noted", "2.1"),
    ]
    assert history[0]["new"] == "Acme Café"
    assert (history[3]["old"], history[3]["new"]) == ("", "UBOB")
    assert history[5]["new"] == "'=cmd|' /C calc'!A0"  # formula injection guarded
    assert history[6]["new"] == UNICODE_NOTE  # unicode, quotes, commas, newlines survive
    assert "支付宝" in history_file.content


@pytest.mark.parametrize("text", ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1"])
async def test_csv_cells_that_look_like_formulas_are_quoted(
    sessions: async_sessionmaker[AsyncSession], text: str
) -> None:
    async with sessions.begin() as session:
        application = await svc.create_application(
            session, team_id="T1", channel_id="CPAY", owner_id="UALICE", name=text, now=NOW
        )
        await svc.add_note(session, application, "1.1", text, actor_id="UBOB", now=NOW)
    _, history_file = await export(sessions, application, "csv")
    _, history = rows_of(history_file.content)
    assert [row["new"] for row in history] == ["'" + text, "'" + text]
    assert not any(
        cell[:1] in ("=", "+", "-", "@", "\t", "\r") for row in history for cell in row.values()
    )


async def test_a_carriage_return_inside_a_note_keeps_the_rows_intact(
    sessions: async_sessionmaker[AsyncSession], application: Application
) -> None:
    async with sessions.begin() as session:
        await svc.add_note(session, application, "1.1", "a\rb", actor_id="UBOB", now=NOW)
    checklist_file, history_file = await export(sessions, application, "csv")
    _, steps = rows_of(checklist_file.content)
    _, history = rows_of(history_file.content)
    assert len(steps) == 19
    assert [row["new"] for row in history if row["kind"] == "noted"][-1] == "a\rb"


async def test_a_skipped_step_is_exported_as_skipped_not_done_with_its_reason(
    sessions: async_sessionmaker[AsyncSession], application: Application
) -> None:
    async with sessions.begin() as session:
        await svc.skip_step(
            session, application, "4.2", "=QR only, no NFC", actor_id="UBOB", now=NOW
        )
    [file] = await export(sessions, application, "json")
    document = json.loads(file.content)
    assert document["application"]["progress"] == {"done": 2, "skipped": 1, "total": 19}
    step = {row["step"]: row for row in document["steps"]}["4.2"]
    assert (step["done"], step["done_at"], step["skipped"]) == (False, None, True)
    assert (step["skipped_by"], step["skip_reason"]) == ("UBOB", "=QR only, no NFC")
    assert datetime.fromisoformat(step["skipped_at"]) == NOW
    assert document["history"][-1]["kind"] == "skipped"

    checklist_file, _ = await export(sessions, application, "csv")
    row = {r["step"]: r for r in rows_of(checklist_file.content)[1]}["4.2"]
    assert (row["done"], row["skipped"], row["skipped_by"]) == ("False", "True", "UBOB")
    assert row["skip_reason"] == "'=QR only, no NFC"  # formula injection guarded
