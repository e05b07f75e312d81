"""What a reviewer checks in the packaging: the Docker base image pinned to a patch release and
a digest, an honest OCI source label, one PostgreSQL driver, and a Slack manifest whose every
scope is used by some call, whose Messages tab does not ignore people, and whose long
description says what the app does today."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")

# The Web API methods (slack_sdk's names) each bot scope is for; a scope none of whose methods
# the code calls must go (the slash command is the manifest's, not a call).
SCOPE_METHODS = {
    "chat:write": {"chat_postMessage", "chat_update", "chat_postEphemeral", "chat_delete"},
    "im:write": {"conversations_open"},
    "users:read": {"users_info", "bots_info"},
    "channels:read": {"conversations_members", "conversations_info", "users_conversations"},
    "groups:read": {"conversations_members", "conversations_info", "users_conversations"},
    "files:write": {"files_upload_v2"},
    "channels:history": {"conversations_history"},
    "groups:history": {"conversations_history"},
    "im:history": {"conversations_history"},
}


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    with (ROOT / "manifest.yml").open(encoding="utf-8") as f:
        return yaml.safe_load(f)


@pytest.fixture(scope="module")
def calls() -> set[str]:
    """Every Web API method the bot's code calls on a client."""
    found: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        found |= set(re.findall(r"\.([a-z]+_[A-Za-z0-9_]+)\(", path.read_text(encoding="utf-8")))
    return found


def test_every_bot_scope_is_used_by_some_call(manifest: dict[str, Any], calls: set[str]) -> None:
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    for scope in scopes:
        if scope == "commands":
            assert manifest["features"]["slash_commands"], "commands without a slash command"
            continue
        assert scope in SCOPE_METHODS, f"{scope}: which calls need it?"
        assert SCOPE_METHODS[scope] & calls, f"{scope} is asked for but nothing calls its methods"


def test_im_write_opens_the_dms_it_is_for(calls: set[str]) -> None:
    # Reminders and assignment DMs go to the DM channel conversations.open names.
    assert "conversations_open" in calls
    delivery = (ROOT / "bot" / "delivery.py").read_text(encoding="utf-8")
    assert "conversations_open(users=" in delivery


def test_the_messages_tab_is_read_only_since_nothing_answers_it(manifest: dict[str, Any]) -> None:
    home = manifest["features"]["app_home"]
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    if "message.im" not in events:
        # Nothing would read what people type there: they may read their reminders only.
        assert home["messages_tab_read_only_enabled"] is True
    assert home["messages_tab_enabled"] is True  # where reminder DMs are read


def test_the_long_description_says_what_the_app_does_today(manifest: dict[str, Any]) -> None:
    text = " ".join(manifest["display_information"]["long_description"].split())
    assert 174 <= len(text) <= 4000
    assert "when every step is done" not in text
    assert "step 3.4 is marked, Onboard announces the go-live" in text
    assert "step 5.1 is marked, it tells the application's Alipay contacts" in text
    assert "credentials" in text and "encrypted" in text


def test_one_postgresql_driver() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = {re.split(r"[\[<>=~! ]", dep, maxsplit=1)[0] for dep in project["dependencies"]}
    drivers = names & {"psycopg", "psycopg2", "psycopg2-binary", "asyncpg", "pg8000"}
    assert drivers == {"psycopg"}


def test_an_asyncpg_url_still_works_through_psycopg() -> None:
    from storage.db import check_url, normalize_url

    url = "postgresql+asyncpg://onboard:secret@db:5432/onboard"
    assert normalize_url(url) == "postgresql+psycopg://onboard:secret@db:5432/onboard"
    check_url(url)


def test_the_base_image_is_pinned_to_a_patch_release_and_a_digest() -> None:
    pinned = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", DOCKERFILE, re.MULTILINE)
    assert pinned, "the base image is one ARG, used by every stage"
    image = pinned.group(1)
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+@sha256:[0-9a-f]{64}", image), image
    froms = re.findall(r"^FROM (\S+)", DOCKERFILE, re.MULTILINE)
    assert froms and all(f == "${PYTHON_IMAGE}" for f in froms), froms
    # And the comment says how to move it forward.
    assert "imagetools inspect" in DOCKERFILE


def test_the_source_label_is_no_placeholder() -> None:
    label = re.search(r'org\.opencontainers\.image\.source="([^"]*)"', DOCKERFILE)
    assert label is not None
    assert "your-org" not in label.group(1) and "example" not in label.group(1)
    # The repository has no public home: the build names it (README, Docker section).
    assert label.group(1) == "${ONBOARD_SOURCE}"
    assert re.search(r'^ARG ONBOARD_SOURCE=""$', DOCKERFILE, re.MULTILINE)
    assert "ONBOARD_SOURCE" in (ROOT / "README.md").read_text(encoding="utf-8")
