"""`POST /alipay/notify/<application>` (SPEC §6): Alipay's notifications, verified with the
application's stored Alipay public key, recorded as evidence on step 1.5, and told to the
channel in one line a minute. Plain HTTP POSTs as Alipay sends them (no Slack signature)."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from sqlalchemy import func, select, text

from bot.app import build_client
from bot.delivery import ChannelPacer
from bot.scheduler import PassRunner, single_workspace
from bot.services.checklist import template_for
from bot.services.notifications import record_verified
from storage.models import Application, Event, OutboxMessage
from tests.conftest import FakeClock
from tests.harness import RunningApp, make_settings
from tests.slack_stub import SlackStub

SUCCESS = {"result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"}}

ALIPAY = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # Alipay's sandbox pair
MERCHANT = rsa.generate_private_key(public_exponent=65537, key_size=2048)
FORGER = rsa.generate_private_key(public_exponent=65537, key_size=2048)

SANDBOX_CLIENT_ID = "SANDBOX_5Y3A2N2YEB3002022"
PRODUCTION_CLIENT_ID = "5Y3A2N2YEB3007744"
REQUEST_TIME = "2026-11-25T18:00:00+08:00"
# A marker that must never reach the log.
BODY = (
    '{"notifyType":"PAYMENT_RESULT","result":{"resultCode":"SUCCESS","resultStatus":"S"},'
    '"paymentRequestId":"pay-BODYMARKER-7781","paymentAmount":{"currency":"USD","value":"100"}}'
)
MARKER = "BODYMARKER-7781"


def _one_line(key: rsa.RSAPrivateKey) -> str:
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def _signature(key: rsa.RSAPrivateKey, content: str) -> str:
    """As Alipay's SDKs do: RSA PKCS#1 v1.5 over SHA-256, base64, then URL-encoded."""
    raw = key.sign(content.encode(), padding.PKCS1v15(), hashes.SHA256())
    return quote(base64.b64encode(raw).decode(), safe="")


def _headers(
    path: str,
    *,
    key: rsa.RSAPrivateKey = ALIPAY,
    body: str = BODY,
    client_id: str = SANDBOX_CLIENT_ID,
    request_time: str = REQUEST_TIME,
) -> dict[str, str]:
    content = f"POST {path}\n{client_id}.{request_time}.{body}"
    return {
        "Content-Type": "application/json; charset=UTF-8",
        "client-id": client_id,
        "request-time": request_time,
        "signature": f"algorithm=RSA256,keyVersion=1,signature={_signature(key, content)}",
    }


async def _post(
    app: RunningApp, slug: str, headers: dict[str, str], body: str = BODY
) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{app.url}/alipay/notify/{slug}", data=body.encode(), headers=headers) as r,
    ):
        try:
            return r.status, await r.json(content_type=None)
        except ValueError:
            return r.status, await r.text()


async def _notify(app: RunningApp, slug: str, **kwargs: Any) -> tuple[int, Any]:
    body = kwargs.get("body", BODY)
    return await _post(app, slug, _headers(f"/alipay/notify/{slug}", **kwargs), body)


async def _verified(app: RunningApp) -> list[Event]:
    async with app.runtime.sessions() as session:
        events = await session.scalars(
            select(Event).where(Event.kind == "notification_verified").order_by(Event.id)
        )
        return list(events)


async def _outbox_count(app: RunningApp) -> int:
    async with app.runtime.sessions() as session:
        return await session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


@pytest.fixture
async def slug(app: RunningApp) -> str:
    """An application in CPAY with its sandbox client ID and Alipay public key set."""
    assert (await app.command("new Acme POS")).status == 200
    for field, value in (
        ("client-id", SANDBOX_CLIENT_ID),
        ("alipay-public-key", _one_line(ALIPAY)),
        ("public-key", _one_line(MERCHANT)),
    ):
        reply = await app.command(f"creds set sandbox {field} {value}")
        assert reply.text.startswith("Saved"), reply.text
    async with app.runtime.sessions() as session:
        application = await session.scalar(select(Application))
    assert application is not None
    return application.slug


def _runner(app: RunningApp) -> PassRunner:
    """A pass as `onboard-bot tick` runs it, with a pacer that never really sleeps."""

    async def no_sleep(_seconds: float) -> None:
        return None

    client = build_client(app.settings, app.runtime.http_session())
    runner = PassRunner.create(app.runtime, single_workspace(client))
    runner.deliverer.pacer = ChannelPacer(sleep=no_sleep)
    return runner


def _lines(slack: SlackStub) -> list[str]:
    """What each message posted to CPAY says: its text and its blocks' text."""
    return [
        "\n".join([c.args["text"], *(b["text"]["text"] for b in c.args.get("blocks") or [])])
        for c in slack.calls_to("chat.postMessage")
        if c.args.get("channel") == "CPAY" and c.answered_with == "ok"
    ]


# ---- valid notifications --------------------------------------------------------------------


async def test_a_valid_notification_is_answered_success_and_recorded_on_1_5(
    app: RunningApp, slug: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    status, body = await _notify(app, slug)
    assert status == 200
    assert body == SUCCESS
    (event,) = await _verified(app)
    assert event.step == "1.5"
    assert event.new_value == "sandbox"
    assert MARKER not in caplog.text


async def test_a_non_ascii_body_verifies_over_its_utf8_bytes(app: RunningApp, slug: str) -> None:
    body = BODY.replace("pay-BODYMARKER-7781", "商户订单-2026")
    status, answer = await _notify(app, slug, body=body)
    assert (status, answer) == (200, SUCCESS)


# ---- refused notifications ------------------------------------------------------------------


def _forged(path: str) -> tuple[dict[str, str], str]:
    return _headers(path, key=FORGER), BODY


def _signed_by_merchant(path: str) -> tuple[dict[str, str], str]:
    return _headers(path, key=MERCHANT), BODY  # the other stored key is not Alipay's


def _tampered(path: str) -> tuple[dict[str, str], str]:
    return _headers(path), BODY.replace('"100"', '"100000"')


def _no_signature(path: str) -> tuple[dict[str, str], str]:
    headers = _headers(path)
    del headers["signature"]
    return headers, BODY


def _garbage_signature(path: str) -> tuple[dict[str, str], str]:
    return _headers(path) | {"signature": "algorithm=RSA256,keyVersion=1,signature=%%%not!"}, BODY


def _truncated_signature(path: str) -> tuple[dict[str, str], str]:
    headers = _headers(path)
    return headers | {"signature": headers["signature"][:-40]}, BODY


def _other_path(path: str) -> tuple[dict[str, str], str]:
    return _headers("/alipay/notify/someone-else"), BODY


def _other_request_time(path: str) -> tuple[dict[str, str], str]:
    return _headers(path) | {"request-time": "2026-11-25T18:00:01+08:00"}, BODY


def _other_sandbox_client(path: str) -> tuple[dict[str, str], str]:
    return _headers(path, client_id="SANDBOX_OTHER00001"), BODY


def _production_client(path: str) -> tuple[dict[str, str], str]:
    # Signed correctly with the sandbox Alipay key, but its client ID says production, and
    # no production key is stored.
    return _headers(path, client_id=PRODUCTION_CLIENT_ID), BODY


@pytest.mark.parametrize(
    "make",
    [
        _forged,
        _signed_by_merchant,
        _tampered,
        _no_signature,
        _garbage_signature,
        _truncated_signature,
        _other_path,
        _other_request_time,
        _other_sandbox_client,
        _production_client,
    ],
)
async def test_a_refused_notification_changes_nothing_and_its_body_is_not_logged(
    app: RunningApp, slug: str, slack: SlackStub, caplog: pytest.LogCaptureFixture, make
) -> None:
    caplog.set_level(logging.DEBUG)
    outbox_before = await _outbox_count(app)
    headers, body = make(f"/alipay/notify/{slug}")
    status, answer = await _post(app, slug, headers, body)
    assert 400 <= status < 500, (status, answer)
    assert isinstance(answer, dict), answer
    assert answer["result"]["resultStatus"] == "F"
    assert answer["result"]["resultCode"] != "SUCCESS"
    assert await _verified(app) == []
    assert await _outbox_count(app) == outbox_before
    refusals = [r for r in caplog.records if "refused" in r.getMessage()]
    assert refusals, caplog.text
    assert slug in refusals[0].getMessage()
    assert MARKER not in caplog.text
    assert "100000" not in caplog.text


async def test_an_unknown_application_is_404(app: RunningApp, slug: str) -> None:
    status, answer = await _notify(app, "no-such-app")
    assert status == 404
    assert answer["result"]["resultStatus"] == "F"
    assert await _verified(app) == []


async def test_an_application_without_an_alipay_key_refuses(app: RunningApp) -> None:
    assert (await app.command("new Acme POS")).status == 200
    await app.command(f"creds set sandbox client-id {SANDBOX_CLIENT_ID}")
    status, answer = await _notify(app, "acme-pos")
    assert 400 <= status < 500
    assert answer["result"]["resultStatus"] == "F"
    assert await _verified(app) == []


async def test_the_production_key_verifies_production_notifications(
    app: RunningApp, slug: str
) -> None:
    production_alipay = FORGER  # any second pair will do as production's Alipay key
    await app.command(f"creds set production alipay-public-key {_one_line(production_alipay)}")
    # Sandbox-signed with a production client ID: the production key is used, so refused.
    status, _ = await _notify(app, slug, client_id=PRODUCTION_CLIENT_ID)
    assert status == 401
    status, answer = await _notify(app, slug, client_id=PRODUCTION_CLIENT_ID, key=production_alipay)
    assert (status, answer) == (200, SUCCESS)
    (event,) = await _verified(app)
    assert event.new_value == "production" and event.step == "1.5"


# ---- one line a minute to the channel -------------------------------------------------------


async def test_notifications_are_told_to_the_channel_one_line_a_minute_with_a_count(
    app: RunningApp, slug: str, slack: SlackStub, clock: FakeClock
) -> None:
    for _ in range(3):
        assert await _notify(app, slug) == (200, SUCCESS)
    assert len(await _verified(app)) == 3
    assert _lines(slack) == []  # not one line per notification, and not at once

    runner = _runner(app)
    await runner.run_pass(clock.now + timedelta(seconds=30))  # the minute is not over
    assert _lines(slack) == []
    await runner.run_pass(clock.now + timedelta(minutes=2))
    (line,) = _lines(slack)
    assert "3 Alipay notifications" in line and "Acme POS" in line
    await runner.run_pass(clock.now + timedelta(minutes=3))  # said once
    assert len(_lines(slack)) == 1

    clock.advance(minutes=3)  # 10:03: the next notification, in a later minute
    assert await _notify(app, slug) == (200, SUCCESS)
    await runner.run_pass(clock.now + timedelta(seconds=30))
    assert len(_lines(slack)) == 1
    await runner.run_pass(clock.now + timedelta(minutes=2))
    lines = _lines(slack)
    assert len(lines) == 2
    assert "an Alipay notification" in lines[1] and "10:03" in lines[1]


async def test_notifications_arriving_at_once_are_all_counted(
    app: RunningApp, slug: str, slack: SlackStub, clock: FakeClock
) -> None:
    answers = await asyncio.gather(*(_notify(app, slug) for _ in range(8)))
    assert answers == [(200, SUCCESS)] * 8
    assert len(await _verified(app)) == 8
    await _runner(app).run_pass(clock.now + timedelta(minutes=2))
    (line,) = _lines(slack)
    assert "8 Alipay notifications" in line


@pytest.fixture
async def pg_app(
    postgres_url: str, slack: SlackStub, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[RunningApp]:
    """The app on PostgreSQL (skipped unless ONBOARD_TEST_POSTGRES_URL is set)."""
    settings = make_settings(tmp_path / "data", slack, postgres_url)
    running = await RunningApp(settings, slack, clock=clock).start()
    try:
        yield running
    finally:
        await running.stop()


async def _someone_waits_for_a_lock(app: RunningApp) -> None:
    """Return once a PostgreSQL session waits for a lock (or after 3 s, whatever happens)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 3.0
    query = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
    while loop.time() < deadline:
        async with app.engine.connect() as connection:
            if (await connection.scalar(query) or 0) > 0:
                return
        await asyncio.sleep(0.02)


async def test_two_notifications_racing_in_one_minute_are_both_counted_on_postgresql(
    pg_app: RunningApp, slack: SlackStub, clock: FakeClock
) -> None:
    """Deterministic: one notification's transaction (the app's own `record_verified`) is held
    open while a second notification arrives over HTTP; then it commits."""
    app = pg_app
    assert (await app.command("new Acme POS")).status == 200
    await app.command(f"creds set sandbox client-id {SANDBOX_CLIENT_ID}")
    await app.command(f"creds set sandbox alipay-public-key {_one_line(ALIPAY)}")
    async with app.runtime.writes.begin() as held:
        application = await held.scalar(select(Application))
        assert application is not None
        await record_verified(held, application, template_for(application), "sandbox", clock.now)
        second = asyncio.create_task(_notify(app, "acme-pos"))
        await _someone_waits_for_a_lock(app)
    assert await second == (200, SUCCESS)
    assert len(await _verified(app)) == 2
    await _runner(app).run_pass(clock.now + timedelta(minutes=2))
    (line,) = _lines(slack)
    assert "2 Alipay notifications" in line, line
