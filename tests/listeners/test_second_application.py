"""A second `/onboard new` in a channel that has an application asks first, and `unarchive`:
through the running app, as Slack sends the command and the clicks.

#CPAY has UALICE (who starts `acme-pos`) and UBOB; UCAROL is only in #COTHER.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select

from bot.blocks.new_app import CANCEL, CREATE_ANOTHER
from storage.models import Application
from tests.harness import CommandResult, RunningApp, block_actions_body, signed_headers
from tests.slack_stub import SlackStub


async def slugs(app: RunningApp) -> list[tuple[str, str]]:
    async with app.runtime.sessions() as session:
        rows = await session.execute(
            select(Application.slug, Application.channel_id).order_by(Application.id)
        )
        return [tuple(r) for r in rows]


def buttons(answer: CommandResult) -> dict[str, dict[str, Any]]:
    assert isinstance(answer.body, dict)
    (actions,) = [b for b in answer.body["blocks"] if b["type"] == "actions"]
    return {e["action_id"]: e for e in actions["elements"]}


async def press(
    app: RunningApp,
    action_id: str,
    value: str,
    *,
    user: str = "UALICE",
    channel: str = "CPAY",
    name: str = "asked",
) -> CommandResult:
    """Click a button of the ephemeral question, which lives in `channel`."""
    ts = f"{time.time():.6f}"
    body = block_actions_body(
        user_id=user,
        action={
            "action_id": action_id,
            "block_id": "new_app",
            "type": "button",
            "text": {"type": "plain_text", "text": "button"},
            "value": value,
            "action_ts": ts,
        },
        container={
            "type": "message",
            "message_ts": ts,
            "channel_id": channel,
            "is_ephemeral": True,
        },
        message={"type": "message", "ts": ts, "blocks": []},
        response_url=app.slack.response_url(name),
    )
    return await app.post(body, signed_headers(body))


async def test_a_second_new_asks_and_the_create_button_makes_it(
    app: RunningApp, slack: SlackStub
) -> None:
    """UALICE's second `new Acme POS` in #CPAY: an ephemeral question naming `acme-pos` and
    saying what a second one means, nothing created. UBOB clicks *Create a second
    application*: `acme-pos-2` in #CPAY, owned by UBOB, announced in the channel; the question
    goes away."""
    await app.command("new Acme POS")

    asked = await app.command("new Acme POS")

    assert asked.body.get("response_type") in (None, "ephemeral")
    assert asked.text == "This channel already has an application. Create one more?"
    section = asked.body["blocks"][0]["text"]["text"]
    assert section.startswith("This channel already has an application: *Acme POS* (`acme-pos`).")
    assert "every `/onboard` command here needs `--app &lt;slug&gt;`" in section
    create = buttons(asked)[CREATE_ANOTHER]
    assert (create["text"]["text"], create["value"]) == ("Create a second application", "Acme POS")
    assert buttons(asked)[CANCEL]["text"]["text"] == "Cancel"
    assert await slugs(app) == [("acme-pos", "CPAY")]

    clicked = await press(app, CREATE_ANOTHER, create["value"], user="UBOB")

    assert clicked.status == 200
    deleted, announced = await slack.wait_for("response_url:asked", 2)
    assert deleted.args["delete_original"] is True
    assert announced.args["response_type"] == "in_channel"
    assert announced.args["text"].startswith("Created *Acme POS* (`acme-pos-2`) in <#CPAY>")
    assert await slugs(app) == [("acme-pos", "CPAY"), ("acme-pos-2", "CPAY")]
    owner = await app.command("rename --app acme-pos-2 Kiosk", user="UBOB")
    assert owner.text.startswith("Renamed"), owner.text


async def test_cancel_creates_nothing_and_another_skips_the_question(
    app: RunningApp, slack: SlackStub
) -> None:
    await app.command("new Acme POS")
    await app.command("new Acme POS")

    await press(app, CANCEL, "cancel")

    (said,) = await slack.wait_for("response_url:asked")
    assert said.args["text"] == "Cancelled: no application was created."
    assert await slugs(app) == [("acme-pos", "CPAY")]
    made = await app.command("new Beta Kiosk --another")
    assert made.text.startswith("Created *Beta Kiosk* (`beta-kiosk`) in <#CPAY>")
    third = await app.command("new Gamma")
    assert third.text == "This channel already has 2 applications. Create one more?"
    assert buttons(third)[CREATE_ANOTHER]["text"]["text"] == "Create another application"


@pytest.mark.parametrize(
    ("value", "user", "channel", "says"),
    [
        # A name the command would not take: empty, blank, too long.
        ("", "UALICE", "CPAY", "That is not a name I can use (1–80 characters)"),
        ("   ", "UALICE", "CPAY", "That is not a name I can use"),
        ("x" * 81, "UALICE", "CPAY", "That is not a name I can use"),
        # Someone who is not in the channel the click claims to come from.
        (
            "Acme POS",
            "UCAROL",
            "CPAY",
            "Only members of <#CPAY> can create an application in it; join the channel first.",
        ),
        # A channel whose members Slack will not list: refused as every membership check
        # refuses it (access.require_channel_member), saying why, not "only members".
        (
            "Acme POS",
            "UALICE",
            "CSECRET",
            "I can't see who is in <#CSECRET> (Slack said `channel_not_found`)",
        ),
        # A DM.
        ("Acme POS", "UALICE", "DUALICE", "this is a direct message"),
    ],
)
async def test_a_forged_create_click_creates_nothing(
    app: RunningApp, slack: SlackStub, value, user, channel, says
) -> None:
    await app.command("new Acme POS")

    await press(app, CREATE_ANOTHER, value, user=user, channel=channel)

    (said,) = await slack.wait_for("response_url:asked")
    assert said.args["response_type"] == "ephemeral"
    assert says in said.args["text"]
    assert await slugs(app) == [("acme-pos", "CPAY")]


async def test_a_forged_name_is_kept_as_text_and_cleaned_like_the_command_does(
    app: RunningApp, slack: SlackStub
) -> None:
    """A value with a mention and extra spaces makes the application the command would have
    made from the same text: spaces folded, the mention never pinging anyone."""
    await app.command("new Acme POS")

    await press(app, CREATE_ANOTHER, "  <!channel>   Shop  ")

    _, announced = await slack.wait_for("response_url:asked", 2)
    assert announced.args["text"].startswith("Created *&lt;!channel&gt; Shop* (`channel-shop`)")


async def test_unarchive_through_the_command_and_a_non_owner_refused(
    app: RunningApp, slack: SlackStub
) -> None:
    await app.command("new Acme POS")
    await app.command("archive")

    refused = await app.command("unarchive", user="UBOB")
    assert refused.text.startswith("Only the owner of *Acme POS* (`acme-pos`) (<@UALICE>)")
    assert "can unarchive it" in refused.text

    done = await app.command("unarchive")
    assert done.body["response_type"] == "in_channel"
    assert done.text == "Unarchived *Acme POS* (`acme-pos`): its reminders and digests resume."
    history = await app.command("history")
    assert "unarchived the application" in str(history.body)


async def test_cancel_answers_in_the_clickers_language(app: RunningApp, slack: SlackStub) -> None:
    slack.add_user("UALICE", locale="zh-CN")
    await app.command("new Acme POS")
    await app.command("new Acme POS")

    await press(app, CANCEL, "cancel")

    (said,) = await slack.wait_for("response_url:asked")
    assert said.args["text"] == "已取消：没有创建应用。"
