"""App Home's portfolio section, through the app: a person who owns or has steps in three or
more applications sees a line for each (phase, working days since progress, stuck first) in
the view `views.publish` gets; fewer than three, no section."""

from __future__ import annotations

from typing import Any

from tests.blocks.slack_limits import assert_no_injection, check_view, mrkdwn_fields
from tests.conftest import FakeClock
from tests.harness import RunningApp, blocks_text, send_event
from tests.i18n_checks import english_sentences, shown_texts
from tests.slack_stub import SlackStub

APPS = {"acme-pos": "Acme POS", "beta-kiosk": "Beta *Kiosk*", "gamma-shop": "Gamma Shop"}


async def open_home(app: RunningApp, slack: SlackStub, user: str) -> dict[str, Any]:
    slack.clear()
    event = {"type": "app_home_opened", "user": user, "tab": "home", "event_ts": "1.0"}
    reply = await send_event(app, dict(event, channel=f"D{user}"))
    assert reply.status == 200
    (published,) = await slack.wait_for("views.publish")
    assert published.args["user_id"] == user
    return published.args["view"]


async def three_applications(app: RunningApp, clock: FakeClock, assign: int = 3) -> None:
    """Alice's three applications in #CPAY, Bob assigned a step in the first `assign` of
    them; a week later Acme and Gamma move on, Beta does not (it is stuck)."""
    for i, name in enumerate(APPS.values()):
        another = " --another" if i else ""
        assert "Created" in (await app.command(f"new {name}{another}")).text
    for slug in list(APPS)[:assign]:
        await app.command(f"assign 1.3 <@UBOB> --app {slug}")
    clock.advance(days=7)
    for slug in ("acme-pos", "gamma-shop"):
        await app.command(f"mark 1.1 --app {slug}")


def portfolio_lines(view: dict[str, Any]) -> list[str]:
    """The portfolio's lines: Home's only bulleted ones."""
    texts = blocks_text(view["blocks"])
    return [line for t in texts for line in t.splitlines() if line.startswith("• ")]


async def test_three_applications_show_a_portfolio_stuck_first(
    app: RunningApp, slack: SlackStub, clock: FakeClock
) -> None:
    await three_applications(app, clock)

    view = await open_home(app, slack, "UBOB")
    check_view(view)
    for text in mrkdwn_fields(None, view["blocks"]):
        assert_no_injection(text, users={"UBOB", "UALICE"}, channels={"CPAY"})
    lines = portfolio_lines(view)
    assert len(lines) == 3
    assert "*Your portfolio*\n" in "\n".join(blocks_text(view["blocks"]))
    assert lines[0].startswith("• :warning: *Beta *Kiosk**: stuck in phase 1, 5.0 working days")
    assert {line.split("*")[1] for line in lines[1:]} == {"Acme POS", "Gamma Shop"}
    assert all("phase 1, 0.0 working days since the last progress" in x for x in lines[1:])
    # The portfolio sits between the person's steps and their channels' applications.
    headers = [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]
    assert headers == ["Your steps", "Applications in your channels"]

    # Alice owns all three.
    assert len(portfolio_lines(await open_home(app, slack, "UALICE"))) == 3


async def test_two_applications_show_no_portfolio(
    app: RunningApp, slack: SlackStub, clock: FakeClock
) -> None:
    await three_applications(app, clock, assign=2)
    view = await open_home(app, slack, "UBOB")
    assert portfolio_lines(view) == []
    assert "Your portfolio" not in str(view)
    assert len(portfolio_lines(await open_home(app, slack, "UALICE"))) == 3


async def test_the_portfolio_in_chinese(
    app: RunningApp, slack: SlackStub, clock: FakeClock
) -> None:
    slack.add_user("UBOB", locale="zh-CN", tz="Asia/Shanghai")
    await three_applications(app, clock)
    view = await open_home(app, slack, "UBOB")
    check_view(view)
    lines = portfolio_lines(view)
    assert len(lines) == 3 and lines[0].startswith("• :warning: *Beta *Kiosk**")
    for text in shown_texts(view["blocks"]):
        assert english_sentences(text, APPS.values()) == [], text
