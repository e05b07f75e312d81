"""Migration 0009 carries what earlier versions recorded into the new shapes: every one-step
reminder and escalation row covers its step in outbox_steps (so reminders sent before the
upgrade still count toward an escalation, and one told before is not told again), and a step
snoozed for a day (the only snooze there was) was snoozed a day before it ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from bot.checklists import get_template
from storage.db import create_engine, create_sessionmaker, upgrade
from storage.models import Application, OutboxMessage, OutboxStep, StepState

NOW = datetime(2026, 11, 30, 17, tzinfo=UTC)


async def test_upgrading_keeps_old_reminders_counted_per_step_and_old_snoozes(tmp_path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'onboard.db'}")
    sessions = create_sessionmaker(engine, writes=True)
    try:
        await upgrade(engine, "0006")
        template = get_template()
        async with engine.begin() as connection:
            await connection.execute(
                insert(Application.__table__).values(
                    id=1,
                    team_id="T",
                    slug="a",
                    name="A",
                    channel_id="C",
                    owner_id="U",
                    template_key=template.key,
                    template_version=template.version,
                    created_at=NOW - timedelta(days=30),
                )
            )
            states = StepState.__table__
            await connection.execute(
                insert(states),
                [
                    {
                        "application_id": 1,
                        "step": step.number,
                        "position": position,
                        "changed_at": NOW - timedelta(days=9),
                        "snoozed_until": NOW + timedelta(hours=5) if position == 1 else None,
                    }
                    for position, step in enumerate(template.steps)
                ],
            )
            rows = [(f"reminder:1:1.1:{day}", "reminder", "1.1", "sent") for day in (1, 2, 3)] + [
                ("escalation:1:1.1:x", "escalation", "1.1", "sent"),
                ("digest:C:x", "digest", None, "sent"),
            ]
            outbox = OutboxMessage.__table__
            await connection.execute(
                insert(outbox),
                [
                    {
                        "dedupe_key": key,
                        "team_id": "T",
                        "kind": kind,
                        "target": "U",
                        "payload": {},
                        "application_id": 1 if step else None,
                        "step": step,
                        "status": status,
                        "attempts": 1,
                        "next_attempt_at": NOW,
                        "created_at": NOW,
                    }
                    for key, kind, step, status in rows
                ],
            )

        await upgrade(engine)

        async with sessions() as session:
            covered = (
                await session.execute(
                    select(OutboxMessage.kind, OutboxStep.application_id, OutboxStep.step)
                    .join(OutboxMessage, OutboxMessage.id == OutboxStep.outbox_id)
                    .order_by(OutboxMessage.id)
                )
            ).all()
            snoozed = await session.scalar(select(StepState).where(StepState.step == "1.2"))
        assert [tuple(r) for r in covered] == [
            ("reminder", 1, "1.1"),
            ("reminder", 1, "1.1"),
            ("reminder", 1, "1.1"),
            ("escalation", 1, "1.1"),
        ]
        assert snoozed is not None
        assert snoozed.snoozed_at == NOW + timedelta(hours=5) - timedelta(days=1)
    finally:
        await engine.dispose()
