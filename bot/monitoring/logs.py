"""The log: plain lines, or with LOG_FORMAT=json one JSON object per line (python-json-logger)
carrying the request, workspace and application a line is about where known.

Those ids live in context variables: the request middleware (bot/listeners/middleware.py)
sets the request's and workspace's, the use cases the application's once they found it, and
delivery the message's. Tasks started while handling a request (Bolt's work after the ack,
redraws) copy the context, so their lines carry the same ids. Every handler redacts anything
shaped like a Slack token from the whole line, the traceback included.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import IO, Literal

LogFormat = Literal["text", "json"]

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
TEAM_ID: ContextVar[str | None] = ContextVar("team_id", default=None)
APPLICATION_ID: ContextVar[int | None] = ContextVar("application_id", default=None)
CONTEXT = {"request_id": REQUEST_ID, "team_id": TEAM_ID, "application_id": APPLICATION_ID}

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# The standard record attributes the JSON object has, renamed; `exc_info` becomes `exception`.
JSON_FIELDS = ["levelname", "name", "message"]
JSON_RENAMES = {"levelname": "level", "name": "logger", "exc_info": "exception"}


def bind_application(application_id: int | None) -> None:
    """The application the rest of this request (or delivery) is about."""
    APPLICATION_ID.set(application_id)


def bind_request(request_id: str, team_id: str | None) -> None:
    """The Slack request being handled, and its workspace (application: not known yet)."""
    REQUEST_ID.set(request_id)
    TEAM_ID.set(team_id)
    APPLICATION_ID.set(None)


@contextmanager
def about(team_id: str | None, application_id: int | None) -> Iterator[None]:
    """Lines logged inside are about this workspace and application; as they were after."""
    team, application = TEAM_ID.set(team_id), APPLICATION_ID.set(application_id)
    try:
        yield
    finally:
        TEAM_ID.reset(team)
        APPLICATION_ID.reset(application)


class RedactSecrets(logging.Filter):
    """Masks anything shaped like a Slack token in a log line, whoever logged it."""

    TOKEN = re.compile(r"\b(xox[a-z]|xapp)-[A-Za-z0-9-]+")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.TOKEN.search(message):
            record.msg, record.args = self.TOKEN.sub(r"\1-…", message), None
        return True

    @classmethod
    def redact(cls, line: str) -> str:
        return cls.TOKEN.sub(r"\1-…", line)


class WithContext(logging.Filter):
    """Puts the ids known in the current context on the record (None where not known)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, variable in CONTEXT.items():
            if not hasattr(record, name):
                setattr(record, name, variable.get())
        return True


class RedactingFormatter(logging.Formatter):
    """The plain line, redacted as a whole (a traceback may quote a token)."""

    def format(self, record: logging.LogRecord) -> str:
        return RedactSecrets.redact(super().format(record))


def json_formatter() -> logging.Formatter:
    from pythonjsonlogger.json import JsonFormatter

    class RedactingJsonFormatter(JsonFormatter):
        def format(self, record: logging.LogRecord) -> str:
            return RedactSecrets.redact(super().format(record))

    return RedactingJsonFormatter(
        JSON_FIELDS,
        rename_fields=JSON_RENAMES,
        timestamp=True,  # "timestamp": ISO 8601 in UTC, from the record's creation
        json_ensure_ascii=False,
    )


def handler(log_format: LogFormat, stream: IO[str] | None = None) -> logging.Handler:
    """A handler writing `log_format` lines to `stream` (stderr), with the ids and redaction."""
    h = logging.StreamHandler(stream or sys.stderr)
    h.setFormatter(json_formatter() if log_format == "json" else RedactingFormatter(TEXT_FORMAT))
    h.addFilter(RedactSecrets())
    h.addFilter(WithContext())
    return h


def configure(level: str, log_format: LogFormat, stream: IO[str] | None = None) -> None:
    """A root handler (as logging.basicConfig: unless one is there already, as under pytest,
    which then gets the ids and the redaction), and the noisy libraries turned down."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(handler(log_format, stream))
        root.setLevel(level)
    for h in root.handlers:
        for kind in (RedactSecrets, WithContext):
            if not any(isinstance(f, kind) for f in h.filters):
                h.addFilter(kind())
    if level != "DEBUG":
        # Alembic narrates every upgrade at INFO; only its warnings are news to an operator.
        logging.getLogger("alembic").setLevel(logging.WARNING)
        # APScheduler logs "Running job …" and "executed successfully" every minute at INFO;
        # our own line (bot/scheduler.py) says when a pass did something.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # slack_sdk logs whole API responses (tokens included) at DEBUG: never let it.
    logging.getLogger("slack_sdk").setLevel(max(logging.INFO, root.level))
