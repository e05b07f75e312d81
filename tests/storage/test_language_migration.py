"""Migration 0010: channels that already have applications keep reading English (they do not
take the language of whoever creates their next application); people follow Slack's."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, select

from bot.checklists import get_template
from storage.db import create_engine, create_sessionmaker, upgrade
from storage.models import Application, ChannelSettings, PersonSettings

NOW = datetime(2026, 11, 30, 17, tzinfo=UTC)


async def test_channels_with_applications_keep_english(tmp_path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'onboard.db'}")
    sessions = create_sessionmaker(engine, writes=True)
    try:
        await upgrade(engine, "0009")
        template = get_template()
        async with engine.begin() as connection:
            await connection.execute(
                insert(Application.__table__),
                [
                    {
                        "id": i,
                        "team_id": team,
                        "slug": f"a{i}",
                        "name": f"A{i}",
                        "channel_id": channel,
                        "owner_id": "U",
                        "template_key": template.key,
                        "template_version": template.version,
                        "created_at": NOW,
                    }
                    for i, (team, channel) in enumerate(
                        [("T", "C1"), ("T", "C1"), ("T", "C2"), ("T2", "C1")], start=1
                    )
                ],
            )
            await connection.execute(
                insert(PersonSettings.__table__).values(
                    team_id="T", user_id="U", holidays="SG", updated_at=NOW
                )
            )

        await upgrade(engine)

        async with sessions() as session:
            channels = await session.scalars(select(ChannelSettings))
            assert sorted((c.team_id, c.channel_id, c.language) for c in channels) == [
                ("T", "C1", "en"),
                ("T", "C2", "en"),
                ("T2", "C1", "en"),
            ]
            person = await session.get(PersonSettings, ("T", "U"))
            assert person is not None and (person.holidays, person.language) == ("SG", None)
    finally:
        await engine.dispose()
