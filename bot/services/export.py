"""The checklist and its history as files: CSV (two tables) or one JSON document."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.checklist import load_checklist
from bot.services.progress import Checklist
from storage import repositories as repo
from storage.models import Application, Event, Note


@dataclass(frozen=True, slots=True)
class ExportFile:
    filename: str
    title: str
    content: str


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _step_rows(checklist: Checklist, notes: Sequence[Note]) -> list[dict[str, object]]:
    notes_by_step: dict[str, list[Note]] = {}
    for note in notes:
        notes_by_step.setdefault(note.step, []).append(note)
    return [
        {
            "phase": progress.step.phase,
            "step": progress.step.number,
            "title": progress.step.title,
            "done": progress.done,
            "done_at": _iso(progress.done_at),
            "done_by": progress.done_by,
            # A step that does not apply: not done, complete for progress, and why.
            "skipped": progress.skipped,
            "skipped_at": _iso(progress.skipped_at),
            "skipped_by": progress.skipped_by,
            "skip_reason": progress.skip_reason,
            "assignee": progress.assignee_id,
            "due_on": _iso(progress.due_on),
            "notes": [
                {"author": n.author_id, "at": _iso(n.created_at), "text": n.text}
                for n in notes_by_step.get(progress.step.number, [])
            ],
        }
        for progress in checklist.steps
    ]


def _event_rows(events: Sequence[Event]) -> list[dict[str, object]]:
    return [
        {
            "id": e.id,
            "at": _iso(e.created_at),
            "actor": e.actor_id,
            "kind": e.kind,
            "step": e.step,
            "old": e.old_value,
            "new": e.new_value,
        }
        for e in events
    ]


def _cell(value: object) -> object:
    # Spreadsheets run cells that start like a formula; a note must never do that.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv(rows: Sequence[dict[str, object]], columns: Sequence[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({k: _cell(v) for k, v in row.items()} for row in rows)
    return out.getvalue()


def render(
    checklist: Checklist, notes: Sequence[Note], events: Sequence[Event], fmt: str
) -> list[ExportFile]:
    application = checklist.application
    steps = _step_rows(checklist, notes)
    history = _event_rows(events)
    if fmt == "json":
        document = {
            "application": {
                "name": application.name,
                "slug": application.slug,
                "channel": application.channel_id,
                "owner": application.owner_id,
                "template": {
                    "key": application.template_key,
                    "version": application.template_version,
                },
                "created_at": _iso(application.created_at),
                "archived_at": _iso(application.archived_at),
                "progress": {
                    "done": checklist.done_count,
                    "skipped": checklist.skipped_count,
                    "total": checklist.total,
                },
            },
            "steps": steps,
            "history": history,
        }
        content = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        return [ExportFile(f"{application.slug}.json", f"{application.name} (JSON)", content)]
    for row in steps:
        notes_of_step = row["notes"]
        assert isinstance(notes_of_step, list)
        row["notes"] = "\n".join(f"{n['author']}: {n['text']}" for n in notes_of_step)
    step_columns = [
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
    return [
        ExportFile(
            f"{application.slug}-checklist.csv",
            f"{application.name}: checklist",
            _csv(steps, step_columns),
        ),
        ExportFile(
            f"{application.slug}-history.csv",
            f"{application.name}: history",
            _csv(history, ["id", "at", "actor", "kind", "step", "old", "new"]),
        ),
    ]


async def export_application(
    session: AsyncSession, application: Application, fmt: str
) -> list[ExportFile]:
    checklist = await load_checklist(session, application)
    notes = await repo.all_notes(session, application.id)
    events = await repo.all_events(session, application.id)
    return render(checklist, notes, events, fmt)
