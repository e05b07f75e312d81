"""The stand-in's history, metadata, scopes and held answers, as slack_sdk sees them.

What the exactly-once checks (bot/delivery.py) rely on: a message keeps the metadata it was
posted with; conversations.history serves a conversation newest first within oldest/latest,
page by page, with metadata only when asked; a DM's history is found through
conversations.open; a missing scope is refused as Slack refuses it; and an answer can be
held back after the call took effect.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.slack_stub import SlackStub, dm_channel

METADATA = {"event_type": "onboard_outbox", "event_payload": {"outbox_id": 7}}


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(1_790_000_000.0)


@pytest.fixture
def slack(clock: Clock) -> Iterator[SlackStub]:
    with SlackStub() as stub:
        stub.clock = clock
        stub.add_user("UBOB")
        yield stub


@pytest.fixture
def client(slack: SlackStub) -> AsyncWebClient:
    # No retries of our own here: a refusal should reach the test as it is.
    return AsyncWebClient(base_url=slack.api_url, token=slack.bot_token, retry_handlers=[])


async def test_timestamps_follow_the_clock_and_stay_unique(
    client: AsyncWebClient, clock: Clock
) -> None:
    first = await client.chat_postMessage(channel="C1", text="a")
    second = await client.chat_postMessage(channel="C1", text="b")  # the clock stood still
    clock.now += 60
    third = await client.chat_postMessage(channel="C1", text="c")

    assert first["ts"] == "1790000000.000000"
    assert second["ts"] == "1790000000.000001"
    assert third["ts"] == "1790000060.000000"


async def test_history_is_newest_first_within_oldest_and_latest_and_pages(
    slack: SlackStub, client: AsyncWebClient, clock: Clock
) -> None:
    stamps = []
    for n in range(7):
        clock.now += 10
        stamps.append((await client.chat_postMessage(channel="C1", text=f"m{n}"))["ts"])
    # A thread reply is not part of the channel's history.
    await client.chat_postMessage(channel="C1", text="reply", thread_ts=stamps[3])
    # Exclusive bounds by default, inclusive on request.
    window = {"oldest": stamps[1], "latest": stamps[6]}

    page_one = await client.conversations_history(channel="C1", limit=2, **window)
    page_two = await client.conversations_history(
        channel="C1", limit=2, cursor=page_one["response_metadata"]["next_cursor"], **window
    )
    inclusive = await client.conversations_history(channel="C1", inclusive=True, **window)

    def texts(page) -> list[str]:
        return [m["text"] for m in page["messages"]]

    assert (texts(page_one), page_one["has_more"]) == (["m5", "m4"], True)
    assert (texts(page_two), page_two["has_more"]) == (["m3", "m2"], False)
    assert page_two["response_metadata"]["next_cursor"] == ""
    assert texts(inclusive) == ["m6", "m5", "m4", "m3", "m2", "m1"]


async def test_metadata_is_kept_and_shown_only_when_asked_for(
    slack: SlackStub, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(channel="C1", text="live", metadata=METADATA)

    plain = await client.conversations_history(channel="C1")
    everything = await client.conversations_history(channel="C1", include_all_metadata=True)

    assert slack.messages["C1"][posted["ts"]]["metadata"] == METADATA
    assert "metadata" not in plain["messages"][0]
    assert everything["messages"][0]["metadata"] == METADATA
    assert everything["messages"][0]["ts"] == posted["ts"]


async def test_a_dm_posted_to_a_user_is_in_the_history_of_the_conversation_open_names(
    slack: SlackStub, client: AsyncWebClient
) -> None:
    await client.chat_postMessage(channel="UBOB", text="reminder", metadata=METADATA)

    opened = await client.conversations_open(users="UBOB")
    history = await client.conversations_history(
        channel=opened["channel"]["id"], include_all_metadata=True
    )

    assert opened["channel"]["id"] == dm_channel("UBOB")
    assert [(m["text"], m["metadata"]) for m in history["messages"]] == [("reminder", METADATA)]
    with pytest.raises(SlackApiError) as unknown:
        await client.conversations_open(users="UNOBODY")
    assert unknown.value.response["error"] == "user_not_found"
    with pytest.raises(SlackApiError) as nowhere:
        await client.conversations_history(channel="CNOWHERE")
    assert nowhere.value.response["error"] == "channel_not_found"


@pytest.mark.parametrize(
    ("channel", "scope"),
    [("C1", "channels:history"), ("CPRIV", "groups:history"), ("DUBOB", "im:history")],
)
async def test_history_without_its_scope_is_missing_scope_naming_it(
    slack: SlackStub, client: AsyncWebClient, channel: str, scope: str
) -> None:
    slack.private_channels.add("CPRIV")
    slack.channel_members.update({"C1": ["UBOT"], "CPRIV": ["UBOT"]})
    await client.conversations_history(channel=channel)  # granted by default
    slack.scopes.discard(scope)

    with pytest.raises(SlackApiError) as refused:
        await client.conversations_history(channel=channel)

    assert refused.value.response["error"] == "missing_scope"
    assert refused.value.response["needed"] == scope
    assert scope not in refused.value.response["provided"].split(",")


async def test_a_held_answer_comes_after_the_call_took_effect_and_only_on_release(
    slack: SlackStub, client: AsyncWebClient
) -> None:
    hold = slack.hold_answers("chat.postMessage", lambda args: "metadata" in args)
    await client.chat_postMessage(channel="C1", text="not held")  # does not match
    posting = asyncio.create_task(
        client.chat_postMessage(channel="C1", text="held", metadata=METADATA)
    )
    await asyncio.to_thread(hold.wait_held, 1)

    assert [m["text"] for m in slack.messages["C1"].values()] == ["not held", "held"]
    # A whole other call goes and comes back meanwhile; the held answer still has not come.
    await client.auth_test()
    assert not posting.done()
    hold.release()
    answer = await asyncio.wait_for(posting, 5)
    assert answer["ok"] is True
    assert answer["ts"] in slack.messages["C1"]


async def test_a_failure_after_accepting_keeps_the_message(
    slack: SlackStub, client: AsyncWebClient
) -> None:
    slack.fail("chat.postMessage", status=500, after_accepting=True)

    with pytest.raises(SlackApiError) as refused:
        await client.chat_postMessage(channel="C1", text="kept anyway")

    assert refused.value.response.status_code == 500
    assert [m["text"] for m in slack.messages["C1"].values()] == ["kept anyway"]
    assert slack.calls_to("chat.postMessage")[0].answered_with == "500"
