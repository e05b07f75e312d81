"""The 60 applications of the report tests, as real rows in a real (migrated) SQLite file.

Each kind of application is a timeline: when it was created, when each phase's steps were
done (all of a phase's steps at its end unless a step says otherwise), skips, unmarks, due
dates. Every step change also goes into the events table, as the write path records it.
Times are UTC. 2026-09-07, 2026-10-12, 2026-06-08, 2026-08-24, 2026-11-02, 2026-11-30 are
Mondays; 2026-12-01 (NOW) a Tuesday.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import insert

from bot.checklists import get_template
from storage.models import Application, Event, OutboxMessage, OutboxStep, StepState

TEAM = "T1"
OWNER = "U_OWNER"
PERSON = "U_P"  # the person of the portfolio test
TEMPLATE = get_template()
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def at(month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@dataclass(frozen=True)
class Kind:
    name: str
    count: int
    created: datetime
    phase_ends: tuple[datetime | None, ...]  # phases 1..5; None: its steps are open
    region: str | None = None
    channel: str = "C1"
    archived: datetime | None = None
    # step -> ("done"|"skipped", when), overriding the phase end
    steps: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    # step -> extra history before its final state: (kind, when) in order
    history: dict[str, tuple[tuple[str, datetime], ...]] = field(default_factory=dict)
    # step -> changed_at of an open step (else the creation)
    changed: dict[str, datetime] = field(default_factory=dict)
    due: dict[str, date] = field(default_factory=dict)


KINDS = (
    # A: weekends only, everything in the current period.
    Kind(
        "A",
        15,
        at(9, 7),
        (at(9, 9), at(9, 14), at(9, 18), at(9, 22), at(9, 23)),
        due={"1.1": date(2026, 9, 9), "2.1": date(2026, 9, 10)},
    ),
    # B: a skip ends phase 2, another skip inside it; stuck at 4.1 since 3.5 was done.
    Kind(
        "B",
        15,
        at(10, 12),
        (at(10, 16, 21, 36), at(10, 20, 9, 36), at(10, 29), None, None),
        steps={
            "2.1": ("done", at(10, 19)),
            "2.2": ("skipped", at(10, 19, 9)),
            "2.3": ("done", at(10, 19)),
            "2.4": ("done", at(10, 19)),
            "2.5": ("skipped", at(10, 20, 9, 36)),
        },
        due={"2.2": date(2026, 10, 19)},  # skipped: not counted for on-time
    ),
    # C: China's holidays: Mid-Autumn 09-25, Golden Week 10-01..10-07 (10-03, 10-04 weekend).
    Kind(
        "C",
        10,
        at(9, 21),
        (at(9, 25), at(10, 8), at(10, 12), at(10, 14, 21, 36), at(10, 15)),
        region="CN",
        steps={"4.2": ("skipped", at(10, 13))},
    ),
    # D1, D2: the previous period.
    Kind(
        "D1",
        4,
        at(6, 8),
        (at(6, 11), at(6, 15), at(6, 24), at(6, 26), at(6, 29)),
        due={"1.1": date(2026, 6, 10)},
    ),
    Kind(
        "D2",
        1,
        at(6, 8),
        (at(6, 11), at(6, 15), at(6, 26), at(6, 30), at(7, 1)),
        due={"1.1": date(2026, 6, 10)},
    ),
    # E: phase 1 in the previous period, 2 and 3 in the current one; archived since.
    Kind(
        "E",
        5,
        at(8, 24),
        (at(8, 28), at(9, 2, 18), at(9, 10), None, None),
        archived=at(9, 11),
    ),
    # F: unmarks and skips: 1.2 marked, unmarked, marked again; 2.3 skipped; 3.4 (go-live)
    # marked then unmarked, so not live; 3.5 skipped then unskipped. Stuck at 3.4.
    Kind(
        "F",
        6,
        at(11, 2),
        (at(11, 5), at(11, 13), None, None, None),
        steps={
            "2.3": ("skipped", at(11, 9)),
            "3.1": ("done", at(11, 18)),
            "3.2": ("done", at(11, 18)),
            "3.3": ("done", at(11, 18)),
        },
        history={
            "1.2": (("marked", at(11, 3)), ("unmarked", at(11, 3, 18))),
            "3.4": (("marked", at(11, 20)), ("unmarked", at(11, 23))),
            "3.5": (("skipped", at(11, 19)), ("unskipped", at(11, 25))),
        },
        changed={"3.4": at(11, 23), "3.5": at(11, 25)},
        due={"3.4": date(2026, 12, 5)},  # after the period
    ),
    # G: just created, nothing done, 1.1 due yesterday; another channel.
    Kind(
        "G",
        4,
        at(11, 30, 0),
        (None, None, None, None, None),
        channel="C2",
        due={"1.1": date(2026, 11, 30)},
    ),
)


@dataclass
class Built:
    ids: dict[str, list[int]]  # kind name -> application ids


def rows_for(kinds=KINDS) -> tuple[list[dict], list[dict], list[dict], dict[str, list[int]]]:
    apps, states, events = [], [], []
    ids: dict[str, list[int]] = {}
    next_id = 1
    for kind in kinds:
        for n in range(kind.count):
            app_id = next_id
            next_id += 1
            ids.setdefault(kind.name, []).append(app_id)
            apps.append(
                {
                    "id": app_id,
                    "team_id": TEAM,
                    "slug": f"{kind.name.lower()}-{n}",
                    "name": f"{kind.name} {n}",
                    "channel_id": kind.channel,
                    "owner_id": OWNER,
                    "template_key": TEMPLATE.key,
                    "template_version": TEMPLATE.version,
                    "created_at": kind.created,
                    "archived_at": kind.archived,
                    "remind_holidays": kind.region,
                }
            )
            events.append(_event(app_id, None, "created", kind.created))
            for step in TEMPLATE.steps:
                state, when = kind.steps.get(step.number, ("done", kind.phase_ends[step.phase - 1]))
                for old_kind, old_when in kind.history.get(step.number, ()):
                    events.append(_event(app_id, step.number, old_kind, old_when))
                done = when if when is not None and state == "done" else None
                skipped = when if when is not None and state == "skipped" else None
                if when is not None:
                    events.append(
                        _event(app_id, step.number, "marked" if done else "skipped", when)
                    )
                states.append(
                    {
                        "application_id": app_id,
                        "step": step.number,
                        "position": step.position,
                        "done_at": done,
                        "done_by": OWNER if done else None,
                        "skipped_at": skipped,
                        "skipped_by": OWNER if skipped else None,
                        "due_on": kind.due.get(step.number),
                        "changed_at": when or kind.changed.get(step.number, kind.created),
                    }
                )
    events.sort(key=lambda e: e["created_at"])
    return apps, states, events, ids


def _event(app_id: int, step: str | None, kind: str, when: datetime) -> dict:
    return {
        "application_id": app_id,
        "step": step,
        "actor_id": OWNER,
        "kind": kind,
        "created_at": when,
    }


async def build(session) -> dict[str, list[int]]:
    """Insert the 60 applications, their steps and history, and a few outbox messages."""
    apps, states, events, ids = rows_for()
    await session.execute(insert(Application), apps)
    await session.execute(insert(StepState), states)
    await session.execute(insert(Event), events)
    b = ids["B"]
    outbox = [
        # (kind, status, sent_at, about): reminders and escalations in and out of the periods
        ("reminders", "sent", at(11, 2, 9), b[0]),
        ("reminders", "sent", at(11, 3, 9), b[1]),
        ("reminders", "sent", at(11, 20, 9), b[2]),
        ("escalations", "sent", at(11, 6, 9), b[0]),
        ("reminders", "pending", None, b[3]),  # not sent: not counted
        ("reminders", "sent", at(7, 1, 9), ids["D1"][0]),  # the previous period
        ("digest", "sent", at(11, 2, 9), b[0]),  # not a reminder
    ]
    for n, (kind, status, sent_at, about) in enumerate(outbox, start=1):
        await session.execute(
            insert(OutboxMessage).values(
                id=n,
                dedupe_key=f"k{n}",
                team_id=TEAM,
                kind=kind,
                target=OWNER,
                payload={},
                status=status,
                next_attempt_at=sent_at or NOW,
                created_at=sent_at or NOW,
                sent_at=sent_at,
            )
        )
        await session.execute(
            insert(OutboxStep).values(outbox_id=n, application_id=about, step="4.1")
        )
    return ids
