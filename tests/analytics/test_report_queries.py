"""The report's statement count does not grow with the number of applications."""

from __future__ import annotations

from datetime import timedelta

from bench.report_bench import NOW, TEAM, counting, populate
from bot.analytics.figures import Period, Scope
from bot.analytics.queries import portfolio, portfolio_report
from storage.db import create_engine, create_sessionmaker, upgrade

PERIOD = Period(NOW - timedelta(days=90), NOW)


async def _statements(tmp_path, applications: int) -> tuple[list[str], list[str], int]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / f'{applications}.db'}")
    try:
        await upgrade(engine)
        async with create_sessionmaker(engine, writes=True).begin() as session:
            await populate(session, applications)
        statements = counting(engine)
        async with create_sessionmaker(engine)() as session:
            report = await portfolio_report(session, Scope(TEAM, None), PERIOD, NOW)
            for_report = list(statements)
            statements.clear()
            await portfolio(session, TEAM, "U1", NOW)
        return for_report, list(statements), len(report.applications)
    finally:
        await engine.dispose()


async def test_the_same_statements_for_600_and_6000_applications(tmp_path) -> None:
    small, small_portfolio, small_rows = await _statements(tmp_path, 600)
    large, large_portfolio, large_rows = await _statements(tmp_path, 6000)
    # The data did grow (archived applications are left out of the table).
    assert small_rows > 500 and large_rows > 5000
    # The same statements: BEGIN, then applications (with their waiting steps), phases, due
    # steps, reminders sent.
    assert len(small) == len(large) == 5
    assert small == large
    assert len(small_portfolio) == len(large_portfolio) == 1
