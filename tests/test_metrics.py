"""`GET /metrics` after a scripted session: signed Slack requests over HTTP, the Slack
stand-in (one rate-limited answer), a scheduler pass and Alipay notifications, scraped and
parsed with prometheus_client's own parser. The counts must be what the session did, and no
label may carry an id or a name the session used."""

from __future__ import annotations

import re
import time
import urllib.request
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date

import aiohttp
import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import build_client
from bot.delivery import ChannelPacer
from bot.outbox_messages import GoLive
from bot.scheduler import PassRunner, single_workspace
from storage import outbox
from tests.conftest import FakeClock
from tests.harness import RunningApp, make_settings, signed_headers, slash_command_body
from tests.slack_stub import SlackStub
from tests.test_process import free_port, running_bot

# Every id and name the session below uses: none may appear anywhere in /metrics.
SESSION_IDS = ("T0001", "UALICE", "UBOB", "UCAROL", "CPAY", "COTHER", "UBOT")
SESSION_NAMES = ("Acme POS", "acme-pos", "Beta Kiosk", "beta-kiosk", "Acme", "Beta")
# The label values the app may use: fixed sets the code names.
ALLOWED_LABELS = {
    "kind": {"command", "action", "view", "event", "function", "options", "shortcut", "other"}
    | {"unknown", "go-live", "reminder", "reminders", "digest", "escalation", "escalations"},
    "outcome": {"ok", "refused", "unhandled", "error"},
    "result": {"ok", "429", "error", "verified", "invalid_signature", "unknown_application"}
    | {"malformed"},
    "status": {"pending", "sending", "failed"},
    "phase": {"1", "2", "3", "4", "5", "done"},
}


async def scrape(app: RunningApp) -> tuple[str, dict[tuple[str, tuple], float]]:
    """The /metrics text, and each sample's value by (name, sorted labels)."""
    async with aiohttp.ClientSession() as http, http.get(f"{app.url}/metrics") as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain; version=")
        body = await r.text()
    samples = {}
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return body, samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def pass_runner(app: RunningApp) -> PassRunner:
    """A pass as `onboard-bot run` makes one, with a pacer that does not really sleep."""

    async def no_sleep(_seconds: float) -> None:
        return None

    client = build_client(app.settings, app.runtime.http_session())
    runner = PassRunner.create(app.runtime, single_workspace(client))
    runner.deliverer.pacer = ChannelPacer(sleep=no_sleep)
    return runner


def go_live(i: int) -> outbox.NewMessage:
    announcement = GoLive(
        application_id=i,
        application=f"Acme POS {i}",
        slug=f"acme-pos-{i}",
        channel="CPAY",
        marked_by="UALICE",
        marked_on=date(2026, 11, 25),
        step="3.4",
    )
    return announcement.for_outbox(dedupe_key=f"metrics-test:{i}", team_id="T0001", target="CPAY")


async def test_metrics_count_what_a_session_did_and_name_no_one(
    app: RunningApp, slack: SlackStub, clock: FakeClock
) -> None:
    # Slack rate-limits the first look-up of who someone is; slack_sdk waits (Retry-After:
    # 0) and tries again.
    slack.fail("users.info", status=429, retry_after=0)
    assert (await app.command("new Acme POS")).status == 200
    await app.settled()
    for step in ("1.1", "1.2", "1.3"):
        assert (await app.command(f"mark {step}")).status == 200
        await app.settled()
    assert (await app.command("new Beta Kiosk", user="UCAROL", channel="COTHER")).status == 200
    assert (await app.command("mark 1", user="UCAROL", channel="COTHER")).status == 200
    await app.settled()
    # A request signed with another secret: Bolt refuses it.
    body = slash_command_body("mark 1.4", user_id="UALICE", channel_id="CPAY")
    refused = await app.post(body, signed_headers(body, secret="not-the-signing-secret"))
    assert refused.status == 401
    # Two go-live announcements due now, waiting in the outbox for the pass.
    async with app.runtime.writes.begin() as session:
        await outbox.enqueue(session, [go_live(1), go_live(2)], clock.now)
    clock.advance(minutes=5)

    text, before = await scrape(app)

    assert value(before, "onboard_slack_requests_total", kind="command", outcome="ok") == 6
    assert value(before, "onboard_slack_requests_total", kind="command", outcome="refused") == 1
    assert value(before, "onboard_slack_ack_seconds_count", kind="command") == 7
    # Every Web API answer the stand-in gave, counted by method and result.
    answers = Counter(
        (c.method, {"ok": "ok", "429": "429"}.get(c.answered_with, "error"))
        for c in slack.calls
        if re.fullmatch(r"[a-z]+(\.[a-zA-Z]+)+", c.method)
    )
    assert answers[("users.info", "429")] == 1
    counted = {
        (dict(labels)["method"], dict(labels)["result"]): v
        for (name, labels), v in before.items()
        if name == "onboard_slack_api_calls_total"
    }
    assert counted == dict(answers)
    assert value(before, "onboard_outbox_messages", status="pending") == 2
    assert value(before, "onboard_outbox_oldest_due_age_seconds") == 300
    assert value(before, "onboard_applications", phase="1") == 1  # Acme POS: 1.4 is next
    assert value(before, "onboard_applications", phase="2") == 1  # Beta Kiosk: phase 1 done

    report = await pass_runner(app).run_pass(clock.now)
    assert report.delivery.sent == 2
    app.runtime.metrics.database.max_age = 0  # read the database again at once
    text_after, after = await scrape(app)

    assert value(after, "onboard_messages_sent_total", kind="go-live") == 2
    assert value(after, "onboard_outbox_messages", status="pending") == 0
    assert value(after, "onboard_outbox_oldest_due_age_seconds") == 0
    assert value(after, "onboard_pass_duration_seconds_count", result="ok") == 1
    assert value(after, "onboard_pass_last_success_timestamp_seconds") == clock.now.timestamp()

    for scraped in (text, text_after):
        for secret in (*SESSION_IDS, *SESSION_NAMES):
            assert secret not in scraped, f"{secret} in /metrics"
        for family in text_string_to_metric_families(scraped):
            for sample in family.samples:
                for label, label_value in sample.labels.items():
                    if label == "method":
                        assert re.fullmatch(r"[a-z]+(\.[a-zA-Z]+)+|other", label_value)
                    elif label != "le":
                        assert label_value in ALLOWED_LABELS[label], (label, label_value)


async def test_the_database_figures_are_read_at_most_once_per_interval(
    app: RunningApp, clock: FakeClock
) -> None:
    """A scrape storm reads the database once: the snapshot stays until it is 15 s old."""
    _, first = await scrape(app)
    assert value(first, "onboard_outbox_messages", status="pending") == 0
    async with app.runtime.writes.begin() as session:
        await outbox.enqueue(session, [go_live(1)], clock.now)
    for _ in range(5):
        _, again = await scrape(app)
        assert value(again, "onboard_outbox_messages", status="pending") == 0
    app.runtime.metrics.database.max_age = 0
    _, fresh = await scrape(app)
    assert value(fresh, "onboard_outbox_messages", status="pending") == 1


async def test_alipay_notifications_are_counted_by_result(app: RunningApp) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{app.url}/alipay/notify/nobody", data=b"{}") as r:
            assert r.status == 400  # no client-id, request-time or signature
        headers = {"client-id": "SANDBOX_1", "request-time": "2026", "signature": "x"}
        async with http.post(f"{app.url}/alipay/notify/nobody", data=b"{}", headers=headers) as r:
            assert r.status == 404  # no such application
    _, samples = await scrape(app)
    assert value(samples, "onboard_alipay_notifications_total", result="malformed") == 1
    assert value(samples, "onboard_alipay_notifications_total", result="unknown_application") == 1


@pytest.fixture
async def app_without_metrics(
    slack: SlackStub, clock: FakeClock, tmp_path
) -> AsyncIterator[RunningApp]:
    settings = make_settings(tmp_path / "data", slack).model_copy(update={"metrics_enabled": False})
    running = await RunningApp(settings, slack, clock=clock).start()
    try:
        yield running
    finally:
        await running.stop()


async def test_metrics_disabled_serve_no_metrics_and_count_nothing(
    app_without_metrics: RunningApp,
) -> None:
    app = app_without_metrics
    assert (await app.command("new Acme POS")).status == 200
    async with aiohttp.ClientSession() as http, http.get(f"{app.url}/metrics") as r:
        assert r.status == 404
    rendered = generate_latest(app.runtime.metrics.registry).decode()
    counts = [
        s.value
        for f in text_string_to_metric_families(rendered)
        for s in f.samples
        if s.name.startswith("onboard_") and s.name.endswith(("_total", "_count"))
    ]
    assert counts == []  # no labelled series was ever created


async def test_a_registry_per_runtime(app: RunningApp, app_without_metrics: RunningApp) -> None:
    """Two apps in one process count apart (tests and replicas do not collide)."""
    assert (await app.command("new Acme POS")).status == 200
    _, samples = await scrape(app)
    assert value(samples, "onboard_slack_requests_total", kind="command", outcome="ok") == 1
    assert app.runtime.metrics.registry is not app_without_metrics.runtime.metrics.registry


def test_metrics_port_serves_metrics_apart_from_slack(tmp_path, slack: SlackStub) -> None:
    """`onboard-bot run` with METRICS_PORT: /metrics there, not on PORT, counting PORT's
    requests; /readyz on PORT once the first pass ran."""
    metrics_port = free_port()
    env = {"METRICS_PORT": str(metrics_port)}
    with running_bot(tmp_path, slack, data_dir=tmp_path / "data", extra_env=env) as bot:
        bot.ok_command("new Acme POS", slack=slack)
        assert bot.get("/metrics")[0] == 404
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics") as r:
            scraped = r.read().decode()
        samples = {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(scraped)
            for s in f.samples
        }
        assert value(samples, "onboard_slack_requests_total", kind="command", outcome="ok") == 1
        assert value(samples, "onboard_applications", phase="1") == 1
        deadline = time.monotonic() + 10
        while (ready := bot.get("/readyz"))[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ready[0] == 200 and ready[1]["database"] == "ok"
        assert ready[1]["scheduler"].startswith(("last pass", "first pass"))
