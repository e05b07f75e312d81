"""The process's Prometheus metrics, in a registry of their own per runtime.

Labels take values from small fixed sets the code names (a listener kind, an outcome, a Web API
method, a message kind): never user text, and never the id of a person, channel or workspace,
so a series count stays bounded however many workspaces the app serves.
"""

from __future__ import annotations

import re
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector
from prometheus_client.registry import Collector

# Ack latency buckets: Slack gives up after 3 s; most acks take milliseconds.
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
PASS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
# A Web API method name as Slack spells them (`chat.postMessage`); anything else is "other".
API_METHOD = re.compile(r"[a-z]+(\.[a-zA-Z]+)+")


class Metrics:
    """What the app counts. Disabled (METRICS_ENABLED=false) every record is a no-op and
    there is no /metrics; `last_pass` is kept either way, for /readyz."""

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self.registry = CollectorRegistry()
        self.last_pass: datetime | None = None
        # The figures read from the database at scrape time (bot/monitoring/database.py),
        # registered by the first /metrics route made for this registry.
        self.database: Collector | None = None
        r = self.registry
        # The process's CPU, memory and open files (process_*), as the default registry has.
        ProcessCollector(registry=r)
        self.requests = Counter(
            "onboard_slack_requests",
            "Requests from Slack, by listener kind and outcome (ok, refused, unhandled, error).",
            ["kind", "outcome"],
            registry=r,
        )
        self.ack_seconds = Histogram(
            "onboard_slack_ack_seconds",
            "Time from a Slack request's arrival to the app's answer (its ack), by kind.",
            ["kind"],
            buckets=ACK_BUCKETS,
            registry=r,
        )
        self.api_calls = Counter(
            "onboard_slack_api_calls",
            "Web API calls (each attempt, retries included) by method and result: ok, 429 "
            "(rate limited), error (an error answer or no answer).",
            ["method", "result"],
            registry=r,
        )
        self.pass_seconds = Histogram(
            "onboard_pass_duration_seconds",
            "How long scheduler passes took, by result (ok, error).",
            ["result"],
            buckets=PASS_BUCKETS,
            registry=r,
        )
        self.last_pass_time = Gauge(
            "onboard_pass_last_success_timestamp_seconds",
            "Unix time at which the last successful scheduler pass in this process ended.",
            registry=r,
        )
        self.sent = Counter(
            "onboard_messages_sent",
            "Messages the outbox delivered (reminders, digests, announcements, ...), by kind.",
            ["kind"],
            registry=r,
        )
        self.verifications = Counter(
            "onboard_alipay_notifications",
            "Alipay notifications received, by result: verified, invalid_signature, "
            "unknown_application (no such application or no key stored), malformed.",
            ["result"],
            registry=r,
        )

    def request(self, kind: str, outcome: str, seconds: float) -> None:
        if self.enabled:
            self.requests.labels(kind, outcome).inc()
            self.ack_seconds.labels(kind).observe(seconds)

    def api_call(self, method: str, result: str) -> None:
        if self.enabled:
            method = method if API_METHOD.fullmatch(method) else "other"
            self.api_calls.labels(method, result).inc()

    def pass_ended(self, seconds: float, *, at: datetime, ok: bool) -> None:
        if ok:
            self.last_pass = at
        if self.enabled:
            self.pass_seconds.labels("ok" if ok else "error").observe(seconds)
            if ok:
                self.last_pass_time.set(at.timestamp())

    def message_sent(self, kind: str) -> None:
        if self.enabled:
            self.sent.labels(kind).inc()

    def verification(self, result: str) -> None:
        if self.enabled:
            self.verifications.labels(result).inc()
