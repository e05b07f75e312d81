"""The Slack stand-in behaves like Slack as far as the real slack_sdk clients can tell."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Iterator

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from tests.slack_stub import SlackStub


@pytest.fixture
def slack() -> Iterator[SlackStub]:
    with SlackStub() as stub:
        yield stub


@pytest.fixture
def client(slack: SlackStub) -> AsyncWebClient:
    return AsyncWebClient(base_url=slack.api_url, token=slack.bot_token)


# ---------------------------------------------------------------------- basics


async def test_post_message_is_recorded_and_stored(slack: SlackStub, client: AsyncWebClient):
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    first = await client.chat_postMessage(channel="C1", text="hi", blocks=blocks)
    second = await client.chat_postMessage(channel="C1", text="again", thread_ts=first["ts"])

    [call, _] = slack.calls_to("chat.postMessage")
    assert call.args == {"channel": "C1", "text": "hi", "blocks": blocks}
    assert call.token == "xoxb-test"
    assert call.answered_with == "ok"
    assert first["channel"] == "C1"
    assert first["message"]["blocks"] == blocks
    assert float(second["ts"]) > float(first["ts"])
    assert slack.messages["C1"][second["ts"]]["thread_ts"] == first["ts"]


async def test_form_fields_and_token_field_are_parsed(slack: SlackStub):
    # No Authorization header: the token travels as a form field, blocks as a JSON string.
    client = AsyncWebClient(base_url=slack.api_url)
    blocks = [{"type": "divider"}]
    data = {"token": "xoxb-test", "channel": "C1", "blocks": json.dumps(blocks), "text": "x"}
    await client.api_call("chat.postMessage", data=data)

    [call] = slack.calls_to("chat.postMessage")
    assert call.token == "xoxb-test"
    assert call.args == {"channel": "C1", "blocks": blocks, "text": "x"}


async def test_auth_test_and_token_checks(slack: SlackStub, client: AsyncWebClient):
    me = await client.auth_test()
    assert (me["user_id"], me["team_id"], me["bot_id"]) == ("UBOT", "T0001", "B0001")

    with pytest.raises(SlackApiError) as wrong:
        await AsyncWebClient(base_url=slack.api_url, token="xoxb-nope").auth_test()
    assert wrong.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as missing:
        await AsyncWebClient(base_url=slack.api_url).auth_test()
    assert missing.value.response["error"] == "not_authed"


async def test_update_delete_and_ephemeral(slack: SlackStub, client: AsyncWebClient):
    posted = await client.chat_postMessage(channel="C1", text="before")
    updated = await client.chat_update(channel="C1", ts=posted["ts"], text="after")
    assert (updated["channel"], updated["ts"]) == ("C1", posted["ts"])
    assert slack.messages["C1"][posted["ts"]]["text"] == "after"

    with pytest.raises(SlackApiError) as missing:
        await client.chat_update(channel="C1", ts="1.000000", text="nope")
    assert missing.value.response["error"] == "message_not_found"
    assert slack.calls_to("chat.update")[-1].answered_with == "error:message_not_found"

    ephemeral = await client.chat_postEphemeral(channel="C1", user="U1", text="psst")
    assert ephemeral["message_ts"]
    await client.chat_delete(channel="C1", ts=posted["ts"])
    assert slack.messages["C1"] == {}


async def test_unknown_method_is_recorded(slack: SlackStub, client: AsyncWebClient):
    with pytest.raises(SlackApiError) as err:
        await client.api_call("reactions.add", json={"name": "tada"})
    assert err.value.response["error"] == "unknown_method"
    assert slack.calls_to("reactions.add")[0].args == {"name": "tada"}


# ---------------------------------------------------------------------- scripted failures


async def test_rate_limit_without_retry_handler_raises_429(
    slack: SlackStub, client: AsyncWebClient
):
    slack.fail("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C1", text="hi")
    assert err.value.response.status_code == 429
    assert err.value.response["error"] == "ratelimited"
    assert err.value.response.headers["Retry-After"] == "7"
    assert slack.calls_to("chat.postMessage")[0].answered_with == "429"


async def test_rate_limit_with_retry_handler_retries_and_succeeds(slack: SlackStub):
    client = AsyncWebClient(
        base_url=slack.api_url,
        token=slack.bot_token,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
    )
    # Retry-After: 0 keeps the SDK's wait under a second (it adds up to 1s of jitter).
    slack.fail("chat.postMessage", retry_after=0)
    response = await client.chat_postMessage(channel="C1", text="hi")
    assert response["ok"]
    assert [c.answered_with for c in slack.calls_to("chat.postMessage")] == ["429", "ok"]


async def test_error_answer_raises_slack_api_error_once(slack: SlackStub, client: AsyncWebClient):
    slack.fail("chat.postMessage", error="not_in_channel")
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C1", text="hi")
    assert err.value.response["error"] == "not_in_channel"
    assert (await client.chat_postMessage(channel="C1", text="hi"))["ok"]
    answers = [c.answered_with for c in slack.calls_to("chat.postMessage")]
    assert answers == ["error:not_in_channel", "ok"]


async def test_server_error_status(slack: SlackStub, client: AsyncWebClient):
    slack.fail("users.info", status=503, times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as err:
            await client.users_info(user="U1")
        assert err.value.response.status_code == 503
    assert [c.answered_with for c in slack.calls_to("users.info")] == ["503", "503"]


async def test_dropped_connection_raises_connection_error(slack: SlackStub):
    client = AsyncWebClient(base_url=slack.api_url, token=slack.bot_token, retry_handlers=[])
    slack.fail("chat.postMessage", drop_connection=True)
    with pytest.raises(aiohttp.ClientConnectionError):
        await client.chat_postMessage(channel="C1", text="hi")
    assert slack.calls_to("chat.postMessage")[0].answered_with == "dropped"


async def test_default_client_retries_one_dropped_connection(
    slack: SlackStub, client: AsyncWebClient
):
    # slack_sdk's default retry handlers retry a connection error once: a test that
    # wants the error to surface must drop twice (or pass retry_handlers=[]).
    slack.fail("auth.test", drop_connection=True)
    assert (await client.auth_test())["ok"]
    assert [c.answered_with for c in slack.calls_to("auth.test")] == ["dropped", "ok"]


def test_fail_needs_a_failure_kind(slack: SlackStub):
    with pytest.raises(ValueError):
        slack.fail("chat.postMessage")


# ---------------------------------------------------------------------- conversations, users


async def test_conversations_members_pages_through_250_members(
    slack: SlackStub, client: AsyncWebClient
):
    members = [f"U{i:04d}" for i in range(250)]
    slack.channel_members["C1"] = members

    pages = []
    async for page in await client.conversations_members(channel="C1", limit=100):
        pages.append(page["members"])
    assert [len(p) for p in pages] == [100, 100, 50]
    assert list(itertools.chain.from_iterable(pages)) == members
    assert [c.args.get("cursor") is None for c in slack.calls_to("conversations.members")] == [
        True,
        False,
        False,
    ]

    default = await client.conversations_members(channel="C1")
    assert len(default["members"]) == 100

    with pytest.raises(SlackApiError) as err:
        await client.conversations_members(channel="CNOPE")
    assert err.value.response["error"] == "channel_not_found"


async def test_conversations_info(slack: SlackStub, client: AsyncWebClient):
    slack.channel_members |= {"C1AB": ["U1", "UBOT"], "C2": ["U1"], "CSECRET": ["U1"]}
    slack.private_channels.add("CSECRET")
    slack.archived_channels.add("C2")
    info = await client.conversations_info(channel="C1AB")
    assert info["channel"] == {
        "id": "C1AB",
        "name": "chan-c1ab",
        "is_member": True,
        "is_private": False,
        "is_archived": False,
    }
    outside = (await client.conversations_info(channel="C2"))["channel"]
    assert (outside["is_member"], outside["is_archived"]) == (False, True)
    for unseen in ("CSECRET", "CNOPE"):
        with pytest.raises(SlackApiError) as err:
            await client.conversations_info(channel=unseen)
        assert err.value.response["error"] == "channel_not_found"


async def test_users_info(slack: SlackStub, client: AsyncWebClient):
    slack.add_user("U1", tz="Asia/Kolkata", is_admin=True, name="asha")
    user = (await client.users_info(user="U1"))["user"]
    assert user["id"] == "U1"
    assert user["name"] == "asha"
    assert user["tz"] == "Asia/Kolkata"
    assert user["tz_offset"] == 5 * 3600 + 30 * 60  # India has no DST
    assert (user["is_admin"], user["is_owner"], user["deleted"]) == (True, False, False)

    with pytest.raises(SlackApiError) as err:
        await client.users_info(user="U2")
    assert err.value.response["error"] == "user_not_found"


async def test_users_conversations_as_a_bot_token_sees_them(
    slack: SlackStub, client: AsyncWebClient
):
    """Public channels of the user, private ones only where the bot is too, archived ones
    left out when asked, in pages."""
    slack.channel_members |= {f"C{i:03d}": ["U1"] for i in range(150)}
    slack.channel_members |= {"CSECRET": ["U1"], "CSHARED": ["U1", "UBOT"], "GOLD": ["U1"]}
    slack.channel_members["CELSE"] = ["U2"]
    slack.private_channels |= {"CSECRET", "CSHARED"}
    slack.archived_channels.add("C000")

    seen = []
    async for page in await client.users_conversations(
        user="U1", types="public_channel,private_channel", exclude_archived=True, limit=100
    ):
        seen.append([c["id"] for c in page["channels"]])
    assert [len(p) for p in seen] == [100, 50]
    found = set(itertools.chain.from_iterable(seen))
    assert found == {f"C{i:03d}" for i in range(1, 150)} | {"CSHARED"}
    every = await client.users_conversations(user="U1", limit=1000)
    assert "C000" in {c["id"] for c in every["channels"]}


async def test_users_info_says_who_owns_the_workspace(slack: SlackStub, client: AsyncWebClient):
    slack.add_user("UOWN", is_owner=True)
    user = (await client.users_info(user="UOWN"))["user"]
    assert (user["is_admin"], user["is_owner"]) == (False, True)


# ---------------------------------------------------------------------- views, files, oauth


async def test_views_echo_the_view(slack: SlackStub, client: AsyncWebClient):
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Hi"}, "blocks": []}
    opened = await client.views_open(trigger_id="123.abc", view=view)
    view_id = opened["view"]["id"]
    assert view_id.startswith("V")
    assert opened["view"]["title"] == view["title"]
    assert slack.calls_to("views.open")[0].args["view"] == view

    updated = await client.views_update(
        view_id=view_id, view={**view, "blocks": [{"type": "divider"}]}
    )
    assert updated["view"]["id"] == view_id
    published = await client.views_publish(user_id="U1", view={"type": "home", "blocks": []})
    assert published["view"]["type"] == "home"


async def test_files_upload_v2_ends_in_uploads(slack: SlackStub, client: AsyncWebClient):
    csv = "item,status\nterminal,done\n"
    response = await client.files_upload_v2(
        channel="C1",
        thread_ts="1700000000.000100",
        filename="checklist.csv",
        title="Checklist",
        content=csv,
        initial_comment="Here you go",
    )

    file_id = response["file"]["id"]
    upload = slack.uploads[file_id]
    assert upload["content"] == csv.encode()
    assert upload["filename"] == "checklist.csv"
    assert (upload["channel_id"], upload["thread_ts"]) == ("C1", "1700000000.000100")
    assert upload["initial_comment"] == "Here you go"
    [complete] = slack.calls_to("files.completeUploadExternal")
    assert complete.args["files"] == [{"id": file_id, "title": "Checklist"}]
    assert complete.args["channel_id"] == "C1"
    assert slack.calls_to("upload")[0].args["length"] == len(csv)


# slack_sdk passes aiohttp.BasicAuth for client credentials, which aiohttp deprecates.
@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
async def test_oauth_v2_access(slack: SlackStub):
    slack.oauth_grants["code-1"] = {"access_token": "xoxb-granted", "team": {"id": "T2"}}
    client = AsyncWebClient(base_url=slack.api_url)
    grant = await client.oauth_v2_access(client_id="cid", client_secret="secret", code="code-1")
    assert grant["team"] == {"id": "T2"}
    # The granted token is accepted afterwards.
    assert (await AsyncWebClient(base_url=slack.api_url, token="xoxb-granted").auth_test())["ok"]

    with pytest.raises(SlackApiError) as err:
        await client.oauth_v2_access(client_id="cid", client_secret="secret", code="bad")
    assert err.value.response["error"] == "invalid_code"


async def test_response_url_posts_are_recorded(slack: SlackStub):
    webhook = AsyncWebhookClient(slack.response_url("r7"))
    response = await webhook.send(text="done", replace_original=True)
    assert response.status_code == 200
    [call] = await slack.wait_for("response_url:r7")
    assert call.args == {"text": "done", "replace_original": True}


# ---------------------------------------------------------------------- waiting


async def test_wait_for_sees_later_calls_and_times_out_clearly(
    slack: SlackStub, client: AsyncWebClient
):
    async def post_later():
        await asyncio.sleep(0.05)
        await client.chat_postMessage(channel="C1", text="late")

    task = asyncio.create_task(post_later())
    [call] = await slack.wait_for("chat.postMessage")
    await task
    assert call.args["text"] == "late"

    with pytest.raises(AssertionError, match=r"chat\.update.*chat\.postMessage"):
        await slack.wait_for("chat.update", timeout=0.05)

    slack.clear()
    assert slack.calls == []
    with pytest.raises(AssertionError, match=r"users\.info"):
        slack.wait_for_sync("users.info", timeout=0.05)


def test_stop_is_final_and_idempotent():
    stub = SlackStub().start()
    url = stub.api_url
    stub.stop()
    stub.stop()

    async def call_stopped_stub():
        client = AsyncWebClient(base_url=url, token="xoxb-test", retry_handlers=[])
        await client.auth_test()

    with pytest.raises(aiohttp.ClientConnectionError):
        asyncio.run(call_stopped_stub())


# ---------------------------------------------------------------------- Socket Mode


@pytest.fixture
async def socket_client(slack: SlackStub):
    web_client = AsyncWebClient(base_url=slack.api_url)
    client = SocketModeClient(app_token="xapp-test", web_client=web_client)

    async def ack(client: SocketModeClient, request: SocketModeRequest) -> None:
        payload = {"text": f"got {request.payload.get('command')}"}
        response = SocketModeResponse(envelope_id=request.envelope_id, payload=payload)
        await client.send_socket_mode_response(response)

    client.socket_mode_request_listeners.append(ack)
    await client.connect()
    yield client
    # Close before the stub stops, or the client would try to reconnect.
    await client.close()


async def test_socket_mode_envelope_is_acked(slack: SlackStub, socket_client: SocketModeClient):
    ack = await slack.send_envelope({"command": "/onboard", "text": "status"})
    assert ack["payload"] == {"text": "got /onboard"}
    assert slack.calls_to("apps.connections.open")[0].token == "xapp-test"
    assert slack.socket_connected


async def test_socket_mode_sync_api_from_another_thread(
    slack: SlackStub, socket_client: SocketModeClient
):
    # A sync test (or one driving a subprocess app) sends and waits from its own thread.
    def send_and_wait() -> tuple[str, dict]:
        envelope_id = slack.socket_send("slash_commands", {"command": "/other"})
        return envelope_id, slack.wait_for_socket_ack(envelope_id, timeout=5)

    envelope_id, ack = await asyncio.to_thread(send_and_wait)
    assert ack == {"envelope_id": envelope_id, "payload": {"text": "got /other"}}


async def test_socket_mode_wait_for_missing_ack_fails(slack: SlackStub):
    with pytest.raises(AssertionError, match="no Socket Mode connection"):
        await slack.socket_send_async("events_api", {"event": {}}, timeout=0.05)
    with pytest.raises(AssertionError, match="no Socket Mode ack"):
        await slack.wait_for_socket_ack_async("nope", timeout=0.05)
