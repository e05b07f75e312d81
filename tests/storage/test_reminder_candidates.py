"""The scheduler's SQL (window functions) and the checklist's Python agree on which steps are
active and since when each has waited, a skipped step counting as complete like a done one:
the two places those rules live."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert

from bot.checklists import get_template
from bot.services.progress import active_flags
from bot.services.reminders import waiting_since
from storage import repositories as repo
from storage.db import create_engine, create_sessionmaker, upgrade
from storage.models import Application, StepState

NOW = datetime(2026, 11, 30, 17, tzinfo=UTC)
TEMPLATE = get_template()
FAR_FUTURE = NOW + timedelta(days=3650)

# For each of the 19 steps: open, done or skipped, and how many hours ago it last changed / was
# done or skipped.
steps_strategy = st.lists(
    st.tuples(
        st.sampled_from(["open", "done", "skipped"]), st.integers(0, 500), st.integers(0, 500)
    ),
    min_size=len(TEMPLATE.steps),
    max_size=len(TEMPLATE.steps),
)


def test_sql_candidates_match_the_python_rules(tmp_path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'onboard.db'}")
    sessions = create_sessionmaker(engine, writes=True)
    asyncio.run(upgrade(engine))

    async def candidates_for(
        states: list[tuple[str, int, int]], stale_before: datetime
    ) -> dict[str, datetime]:
        async with sessions.begin() as session:
            await session.execute(delete(Application))
            await session.execute(
                insert(Application).values(
                    id=1,
                    team_id="T",
                    slug="a",
                    name="A",
                    channel_id="C",
                    owner_id="U",
                    template_key=TEMPLATE.key,
                    template_version=TEMPLATE.version,
                    created_at=NOW - timedelta(days=30),
                )
            )
            await session.execute(
                insert(StepState),
                [
                    {
                        "application_id": 1,
                        "step": step.number,
                        "position": step.position,
                        "done_at": NOW - timedelta(hours=ago) if state == "done" else None,
                        "skipped_at": NOW - timedelta(hours=ago) if state == "skipped" else None,
                        "changed_at": NOW - timedelta(hours=changed_ago),
                    }
                    for step, (state, changed_ago, ago) in zip(TEMPLATE.steps, states, strict=True)
                ],
            )
        async with sessions() as session:
            # Nothing is due: "active" and "untouched since" decide.
            rows = await repo.reminder_candidates(
                session, stale_before=stale_before, due_by=date(2000, 1, 1), now=NOW
            )
        return {row.step: max(row.changed_at, row.startable_at or row.changed_at) for row in rows}

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(steps_strategy, st.sampled_from([FAR_FUTURE, NOW - timedelta(hours=48)]))
    def check(states: list[tuple[str, int, int]], stale_before: datetime) -> None:
        found = asyncio.run(candidates_for(states, stale_before))
        complete = [state != "open" for state, _, _ in states]
        done = [state == "done" for state, _, _ in states]
        skipped = [state == "skipped" for state, _, _ in states]
        times = [
            (NOW - timedelta(hours=ago) if c else None, NOW - timedelta(hours=changed_ago))
            for c, (_, changed_ago, ago) in zip(complete, states, strict=True)
        ]
        waits = waiting_since(times)
        expected = {
            step.number: waits[i]
            for i, (step, is_active) in enumerate(
                zip(TEMPLATE.steps, active_flags(done, skipped), strict=True)
            )
            if is_active and waits[i] <= stale_before
        }
        assert found == expected

    try:
        check()
    finally:
        asyncio.run(engine.dispose())
