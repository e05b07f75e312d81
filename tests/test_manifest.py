"""manifest.yml: the app it creates points at our endpoints and asks for minimal scopes."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from bot.app import BOT_SCOPES
from bot.listeners.functions import SPECS
from bot.listeners.functions.parameters import Param

yaml = pytest.importorskip("yaml")

MANIFEST = Path(__file__).resolve().parent.parent / "manifest.yml"

# Exactly what the app uses (SPEC §7). Adding a scope must be a deliberate change here too.
MINIMAL_BOT_SCOPES = {
    "commands",
    "chat:write",
    "im:write",
    "users:read",
    "channels:read",
    "groups:read",
    "files:write",
    # Checking, before posting again, whether a send interrupted by a crash reached the
    # channel or DM (bot/delivery.py).
    "channels:history",
    "groups:history",
    "im:history",
}


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    with MANIFEST.open(encoding="utf-8") as f:
        loaded = yaml.safe_load(f)
    assert isinstance(loaded, dict)
    return loaded


def test_metadata_and_name(manifest: dict[str, Any]) -> None:
    assert manifest["_metadata"] == {"major_version": 1, "minor_version": 1}
    info = manifest["display_information"]
    assert info["name"] == "Onboard"
    assert 0 < len(info["description"]) <= 140
    # Slack rejects a long_description outside 174–4000 characters.
    assert 174 <= len(info["long_description"]) <= 4000
    assert manifest["features"]["bot_user"]["display_name"] == "Onboard"


def test_onboard_command_is_escaped_and_posts_to_events(manifest: dict[str, Any]) -> None:
    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    assert set(commands) == {"/onboard"}
    onboard = commands["/onboard"]
    assert onboard["should_escape"] is True
    assert onboard["url"].endswith("/slack/events")
    assert onboard["description"]
    assert onboard["usage_hint"]


def test_interactivity_and_events_point_at_slack_events(manifest: dict[str, Any]) -> None:
    settings = manifest["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["interactivity"]["request_url"].endswith("/slack/events")
    events = settings["event_subscriptions"]
    assert events["request_url"].endswith("/slack/events")
    assert "app_home_opened" in events["bot_events"]
    assert settings["socket_mode_enabled"] is False


def test_home_tab_enabled(manifest: dict[str, Any]) -> None:
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True


def test_scopes_are_exactly_the_minimal_set(manifest: dict[str, Any]) -> None:
    scopes = manifest["oauth_config"]["scopes"]
    bot = scopes["bot"]
    assert len(bot) == len(set(bot)), "a bot scope is listed twice"
    assert set(bot) == MINIMAL_BOT_SCOPES
    assert not scopes.get("user"), "the app needs no user-token scopes"


def test_oauth_installs_ask_for_the_manifest_scopes(manifest: dict[str, Any]) -> None:
    assert set(BOT_SCOPES) == set(manifest["oauth_config"]["scopes"]["bot"])


def test_oauth_redirect(manifest: dict[str, Any]) -> None:
    redirects = manifest["oauth_config"]["redirect_urls"]
    assert redirects
    assert all(url.endswith("/slack/oauth_redirect") for url in redirects)


# ---- Workflow Builder custom steps ----------------------------------------------------------

SCHEMA = Path(__file__).resolve().parent / "manifest_schema" / "manifest.schema.1.0.0.json"


def test_manifest_validates_against_slacks_schema(manifest: dict[str, Any]) -> None:
    """Slack's published JSON schema (tests/manifest_schema/) takes the whole manifest."""
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(manifest), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_schema_refuses_what_slack_refuses(manifest: dict[str, Any]) -> None:
    """The schema check is not vacuous: a step input of a type Slack has not, or a function
    without its output parameters, fails it."""
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    broken = copy.deepcopy(manifest)
    del broken["functions"]["create_application"]["output_parameters"]
    assert not validator.is_valid(broken)
    broken = copy.deepcopy(manifest)
    broken["settings"]["org_deploy_enabled"] = "yes"
    assert not validator.is_valid(broken)


def test_custom_steps_need_an_org_ready_app_run_remotely(manifest: dict[str, Any]) -> None:
    settings = manifest["settings"]
    assert settings["org_deploy_enabled"] is True
    assert settings["function_runtime"] == "remote"
    assert "function_executed" in settings["event_subscriptions"]["bot_events"]


# The types Slack has for a step's parameters (its manifest schema's list).
SLACK_PARAMETER_TYPES = {
    "string",
    "integer",
    "number",
    "boolean",
    "slack#/types/user_id",
    "slack#/types/channel_id",
    "slack#/types/date",
}


def _declared(parameters: dict[str, Any]) -> dict[str, Param]:
    for name, parameter in parameters.items():
        assert parameter.get("name", name) == name
        assert parameter["type"] in SLACK_PARAMETER_TYPES, parameter
        assert parameter.get("title"), f"{name} has no title for Workflow Builder"
    return {
        name: Param(parameter["type"], required=bool(parameter.get("is_required")))
        for name, parameter in parameters.items()
    }


def test_each_functions_declaration_is_what_its_handler_reads_and_writes(
    manifest: dict[str, Any],
) -> None:
    """Every step the app handles is declared, nothing else is, and each input and output
    has the type (and required flag) its handler reads or writes (bot/listeners/functions/)."""
    functions = manifest["functions"]
    assert set(functions) == {spec.callback_id for spec in SPECS}
    for spec in SPECS:
        declared = functions[spec.callback_id]
        assert declared["title"] and declared["description"]
        assert _declared(declared["input_parameters"]) == spec.inputs, spec.callback_id
        assert _declared(declared["output_parameters"]) == spec.outputs, spec.callback_id
