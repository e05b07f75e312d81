"""Block actions only translate: each button or menu, dispatched as a signed block_actions
payload, calls its one use case with the clicker (workspace and user; never a channel) and
the application id and step read from the action's value, renders the outcome (a redraw, a
modal, a reply through the click's response_url) and hands the outcome's follow-up on. A
`Refusal` is told to the clicker alone: ephemeral through the response_url, or in the app's
DM for a click on App Home, and nothing else happens."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.blocks import checklist as blocks
from bot.blocks import modals, replies
from bot.blocks.credentials import OFFER_MARK
from bot.blocks.home import MARK_FROM_HOME
from bot.blocks.notifications import REMINDER_MARK, REMINDER_REASSIGN, REMINDER_SNOOZE
from bot.i18n import ENGLISH_TRANSLATOR
from bot.listeners.actions import checklist as checklist_listener
from bot.listeners.actions import fold as fold_listener
from bot.listeners.actions import history as history_listener
from bot.listeners.actions import reminders as reminders_listener
from bot.listeners.actions import step_menu as step_menu_listener
from bot.services.checklist import MarkOutcome, template_for
from bot.services.errors import Refusal
from bot.usecases import checklist, steps
from bot.usecases.context import Actor, Followup
from storage.models import Application, Event
from tests.conftest import FakeClock
from tests.harness import TEAM_ID
from tests.listeners.dispatch import (
    ON_HOME,
    Dispatcher,
    FollowedUp,
    FollowUpLog,
    Posted,
    answering_calls,
    as_dicts,
    button,
    dispatching,
    fake,
    menu_choice,
    on_message,
    post_application,
    view_dict,
    web_api_calls,
)
from tests.slack_stub import SlackStub

BOB = Actor(team_id=TEAM_ID, user_id="UBOB")  # a click carries no channel the app trusts
REFUSED = "Only members of <#CPAY> can change *Acme POS* (`acme-pos`); join the channel first."


@pytest.fixture
async def bolt(slack: SlackStub, clock: FakeClock, tmp_path: Path) -> AsyncIterator[Dispatcher]:
    async with dispatching(slack, clock, tmp_path / "data") as dispatcher:
        yield dispatcher


@pytest.fixture
async def acme(bolt: Dispatcher) -> Posted:
    return await post_application(bolt)


@pytest.fixture
def followups(monkeypatch: pytest.MonkeyPatch) -> FollowUpLog:
    return FollowUpLog(monkeypatch)


def marked(application: Application, changed: list[str], unchanged: list[str]) -> checklist.Marked:
    outcome = MarkOutcome(
        changed=changed,
        unchanged=unchanged,
        open_before=[],
        queued=(17,),
        done_count=4,
        total=19,
        touched=["UBOB"],
    )
    followup = Followup(application, homes=frozenset({"UBOB"}), queued=(17,))
    return checklist.Marked(template_for(application), outcome, followup)


def folded_as(message: dict[str, Any], application_id: int, fold: blocks.Fold) -> dict[str, Any]:
    """The message as someone had folded it (the fold lives in the header's block_id)."""
    header = blocks.header_block_id(application_id, fold)
    message["blocks"] = [
        dict(b, block_id=header) if b.get("block_id", "").startswith("checklist:") else b
        for b in message["blocks"]
    ]
    return message


def header_of(message_blocks: list[dict[str, Any]]) -> str:
    (header,) = [
        b["block_id"] for b in message_blocks if b.get("block_id", "").startswith("checklist:")
    ]
    return header


def assert_told_only_the_clicker(slack: SlackStub, followups: FollowUpLog, text: str) -> None:
    """A refusal on a message: one ephemeral reply through the response_url, nothing else."""
    (answer,) = slack.calls_to("response_url:click")
    assert answer.args == {"response_type": "ephemeral", "replace_original": False, "text": text}
    assert answering_calls(slack) == []  # a translatable refusal reads the clicker's language
    assert followups == []


# ---- Mark done / Undo: the checklist message and App Home -------------------------------------


async def test_mark_done_on_the_recorded_message_redraws_it_as_it_was_folded(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch, followups: FollowUpLog
) -> None:
    """*Mark done* on the application's own message: mark(application id, [step]) from the
    button's value; the follow-up redraws it keeping the clicked message's fold; no reply."""
    done = marked(acme.application, ["1.1"], [])
    mark = fake(monkeypatch, checklist_listener.checklist, "mark", returns=done)
    fold = blocks.Fold(expanded=frozenset({5}))
    message = folded_as(acme.message(bolt.slack), acme.id, fold)

    response, _ = await bolt.click(
        button(blocks.TOGGLE_STEP, blocks.action_value(acme.id, "1.1", "mark")),
        container=on_message("CPAY", acme.ts),
        message=message,
    )

    assert mark.only_call(bolt) == {
        "actor": BOB,
        "ref": acme.id,
        "steps": ["1.1"],
        "force": False,
        "announce": None,
    }
    assert (response.status, response.body) == (200, "")
    assert followups == [FollowedUp(done.followup, fold, ())]
    assert bolt.slack.calls == []  # the redraw is the follow-up's, which is recorded here


async def test_undo_on_an_ephemeral_copy_replaces_that_copy(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch, followups: FollowUpLog
) -> None:
    """*Undo* on an ephemeral copy: unmark; the recorded message is the follow-up's (no fold
    of the copy's imposed on it), and the copy is replaced through its own response_url."""
    done = marked(acme.application, ["1.2"], [])
    unmark = fake(monkeypatch, checklist_listener.checklist, "unmark", returns=done)
    fold = blocks.Fold(collapsed=frozenset({1}))
    message = folded_as(acme.message(bolt.slack), acme.id, fold)

    await bolt.click(
        button(blocks.TOGGLE_STEP, blocks.action_value(acme.id, "1.2", "unmark")),
        container=on_message("CPAY", "1700000099.000001", ephemeral=True),
        message=message,
    )

    assert unmark.only_call(bolt) == {"actor": BOB, "ref": acme.id, "steps": ["1.2"]}
    assert followups == [FollowedUp(done.followup, None, ())]
    rendered = await bolt.surfaces.render_checklist(acme.id, fold)
    assert rendered is not None
    (replaced,) = bolt.slack.calls_to("response_url:click")
    assert replaced.args["replace_original"] is True
    assert replaced.args["text"] == rendered.text
    assert replaced.args["blocks"] == as_dicts(rendered.blocks)
    assert web_api_calls(bolt.slack) == []


async def test_mark_done_on_app_home_republishes_the_clickers_home(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch, followups: FollowUpLog
) -> None:
    """*Mark done* on App Home: the same use case; the follow-up also republishes the
    clicker's Home; nothing else is sent."""
    done = marked(acme.application, ["2.1"], [])
    mark = fake(monkeypatch, checklist_listener.checklist, "mark", returns=done)

    response, _ = await bolt.click(
        button(MARK_FROM_HOME, blocks.action_value(acme.id, "2.1", "mark")),
        container=ON_HOME,
        view={"id": "VHOME", "type": "home", "blocks": []},
    )

    assert mark.only_call(bolt) == {
        "actor": BOB,
        "ref": acme.id,
        "steps": ["2.1"],
        "force": False,
        "announce": None,
    }
    assert response.status == 200
    assert followups == [FollowedUp(done.followup, None, ("UBOB",))]
    assert bolt.slack.calls == []


async def test_a_refused_mark_done_is_told_to_the_clicker_only(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch, followups: FollowUpLog
) -> None:
    """A refusal: an ephemeral reply that keeps the message; no redraw, no follow-up."""
    fake(monkeypatch, checklist_listener.checklist, "mark", raises=Refusal(REFUSED))

    response, _ = await bolt.click(
        button(blocks.TOGGLE_STEP, blocks.action_value(acme.id, "1.1", "mark")),
        container=on_message("CPAY", acme.ts),
        message=acme.message(bolt.slack),
        user="UCAROL",
    )

    assert response.status == 200
    assert_told_only_the_clicker(bolt.slack, followups, REFUSED)


async def test_a_refused_mark_done_on_app_home_is_told_in_the_apps_dm(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch, followups: FollowUpLog
) -> None:
    """App Home has no response_url: the refusal goes to the clicker's DM with the app."""
    fake(monkeypatch, checklist_listener.checklist, "mark", raises=Refusal(REFUSED))

    await bolt.click(
        button(MARK_FROM_HOME, blocks.action_value(acme.id, "2.1", "mark")),
        container=ON_HOME,
        view={"id": "VHOME", "type": "home", "blocks": []},
    )

    (told,) = answering_calls(bolt.slack)
    assert told.method == "chat.postMessage"
    assert (told.args["channel"], told.args["text"]) == ("UBOB", REFUSED)
    assert followups == []


# ---- Expand all / Collapse all / a phase's toggle ---------------------------------------------


@pytest.mark.parametrize(
    ("action_id", "open_"), [(blocks.EXPAND_ALL, True), (blocks.COLLAPSE_ALL, False)]
)
async def test_expand_or_collapse_all_redraws_the_recorded_message(
    bolt: Dispatcher,
    acme: Posted,
    monkeypatch: pytest.MonkeyPatch,
    followups: FollowUpLog,
    action_id: str,
    open_: bool,
) -> None:
    """The application id comes from the button; `show` authorizes the clicker; the
    application's recorded message is redrawn with every phase opened or folded."""
    shown = checklist.Shown(acme.checklist, in_its_channel=False)
    show = fake(monkeypatch, fold_listener.checklist, "show", returns=shown)

    response, _ = await bolt.click(
        button(action_id, str(acme.id)),
        container=on_message("CPAY", acme.ts),
        message=acme.message(bolt.slack),
    )

    assert show.only_call(bolt) == {"actor": BOB, "ref": acme.id, "phase": None}
    assert response.status == 200
    (update,) = bolt.slack.calls_to("chat.update")
    assert (update.args["channel"], update.args["ts"]) == ("CPAY", acme.ts)
    fold = blocks.Fold.all(range(1, 6), open_)
    assert header_of(update.args["blocks"]) == blocks.header_block_id(acme.id, fold)
    assert bolt.slack.calls_to("response_url:click") == []
    assert followups == []  # nothing changed: a redraw, not a follow-up


async def test_a_phase_toggle_on_a_copy_elsewhere_replaces_only_that_copy(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copy of the checklist in another channel, carrying the recorded message's ts: it is
    not the recorded message (the channel differs), so the copy is replaced through its
    response_url and no message is updated by the payload's channel and ts."""
    fake(
        monkeypatch,
        fold_listener.checklist,
        "show",
        returns=checklist.Shown(acme.checklist, in_its_channel=False),
    )

    await bolt.click(
        button(blocks.TOGGLE_PHASE, blocks.action_value(acme.id, 2, "collapse")),
        container=on_message("COTHER", acme.ts),
        message=acme.message(bolt.slack),
    )

    rendered = await bolt.surfaces.render_checklist(acme.id, blocks.Fold(collapsed=frozenset({2})))
    assert rendered is not None
    (replaced,) = bolt.slack.calls_to("response_url:click")
    assert replaced.args["replace_original"] is True
    assert replaced.args["blocks"] == as_dicts(rendered.blocks)
    assert web_api_calls(bolt.slack) == []


async def test_a_refused_fold_is_told_to_the_clicker_only(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch, followups: FollowUpLog
) -> None:
    """A non-member's fold click: no redraw anywhere, an ephemeral reply."""
    fake(monkeypatch, fold_listener.checklist, "show", raises=Refusal(REFUSED))

    await bolt.click(
        button(blocks.EXPAND_ALL, str(acme.id)),
        container=on_message("CPAY", acme.ts),
        message=acme.message(bolt.slack),
        user="UCAROL",
    )

    assert_told_only_the_clicker(bolt.slack, followups, REFUSED)


# ---- the step menu ---------------------------------------------------------------------------


def step_menu_outcome(application: Application, choice: str) -> steps.StepMenu:
    template = template_for(application)
    return steps.StepMenu(
        application,
        template,
        template.step("1.3"),
        choice,  # type: ignore[arg-type]
        "UCAROL",
        date(2026, 12, 1),
        "Asia/Shanghai",
    )


@pytest.mark.parametrize(
    ("choice", "callback_id"),
    [("assign", modals.ASSIGN), ("due", modals.DUE), ("note", modals.NOTE), ("guide", None)],
)
async def test_the_step_menu_opens_the_modal_of_the_choice(
    bolt: Dispatcher,
    acme: Posted,
    monkeypatch: pytest.MonkeyPatch,
    choice: str,
    callback_id: str | None,
) -> None:
    """The chosen option's value gives application, step and choice; the modal shown is the
    rendering of the menu outcome, opened with the click's trigger_id."""
    menu = step_menu_outcome(acme.application, choice)
    open_step_menu = fake(monkeypatch, step_menu_listener.steps, "open_step_menu", returns=menu)

    _, trigger_id = await bolt.click(
        menu_choice(blocks.STEP_MENU, blocks.action_value(acme.id, "1.3", choice)),
        container=on_message("CPAY", acme.ts),
        message=acme.message(bolt.slack),
    )

    assert open_step_menu.only_call(bolt) == {
        "actor": BOB,
        "ref": acme.id,
        "step": "1.3",
        "choice": choice,
    }
    (opened,) = answering_calls(bolt.slack)
    assert (opened.method, opened.args["trigger_id"]) == ("views.open", trigger_id)
    assert opened.args["view"] == view_dict(step_menu_listener.step_modal(menu, ENGLISH_TRANSLATOR))
    assert opened.args["view"].get("callback_id") == callback_id
    if callback_id is not None:
        context = modals.ModalContext(application_id=acme.id, step="1.3")
        assert opened.args["view"]["private_metadata"] == context.encode()


async def test_a_refused_step_menu_opens_nothing(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch, followups: FollowUpLog
) -> None:
    """A refusal: an ephemeral reply, no modal."""
    fake(monkeypatch, step_menu_listener.steps, "open_step_menu", raises=Refusal(REFUSED))

    await bolt.click(
        menu_choice(blocks.STEP_MENU, blocks.action_value(acme.id, "1.3", "note")),
        container=on_message("CPAY", acme.ts),
        message=acme.message(bolt.slack),
        user="UCAROL",
    )

    assert_told_only_the_clicker(bolt.slack, followups, REFUSED)


# ---- Older history ---------------------------------------------------------------------------


def history_message(application_id: int, step: str | None) -> dict[str, Any]:
    value = replies.older_value(application_id, step, 41)
    return {
        "type": "message",
        "ts": "1700000050.000100",
        "text": "Latest changes",
        "blocks": [
            {
                "type": "actions",
                "block_id": "history",
                "elements": [
                    {"type": "button", "action_id": replies.OLDER_HISTORY, "value": value}
                ],
            }
        ],
    }


@pytest.mark.parametrize("step", ["1.2", None])
async def test_older_replaces_the_reply_with_the_page_before(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch, step: str | None
) -> None:
    """*Older*: application, step and the oldest event shown come from the button; the reply
    is replaced with the earlier page."""
    events = [
        Event(
            id=40,
            application_id=acme.id,
            step=step,
            actor_id="UALICE",
            kind="created",
            created_at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
        )
    ]
    page = checklist.HistoryPage(acme.application, events, step, more=False)
    history = fake(monkeypatch, history_listener.checklist, "history", returns=page)

    await bolt.click(
        button(replies.OLDER_HISTORY, replies.older_value(acme.id, step, 41), block_id="history"),
        container=on_message("CPAY", "1700000050.000100", ephemeral=True),
        message=history_message(acme.id, step),
    )

    assert history.only_call(bolt) == {"actor": BOB, "ref": acme.id, "step": step, "before_id": 41}
    text, page_blocks = replies.history_blocks(acme.application, events, step, False, older=True)
    (replaced,) = bolt.slack.calls_to("response_url:click")
    assert replaced.args["replace_original"] is True
    assert (replaced.args["text"], replaced.args["blocks"]) == (text, as_dicts(page_blocks))
    assert text.startswith("Earlier changes")
    assert answering_calls(bolt.slack) == []


async def test_a_refused_older_page_is_told_to_the_clicker_only(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch, followups: FollowUpLog
) -> None:
    """A refusal keeps the reply and adds an ephemeral answer."""
    fake(monkeypatch, history_listener.checklist, "history", raises=Refusal(REFUSED))

    await bolt.click(
        button(replies.OLDER_HISTORY, replies.older_value(acme.id, None, 41), block_id="history"),
        container=on_message("CPAY", "1700000050.000100", ephemeral=True),
        message=history_message(acme.id, None),
        user="UCAROL",
    )

    assert_told_only_the_clicker(bolt.slack, followups, REFUSED)


# ---- reminder DMs and the offer after saving credentials --------------------------------------


def reminder_dm(application_id: int) -> dict[str, Any]:
    return {
        "type": "message",
        "ts": "1700000060.000100",
        "text": "Step 1.3 of Acme POS has waited 2 working days",
        "blocks": [
            {
                "type": "actions",
                "block_id": "reminder",
                "elements": [
                    {
                        "type": "button",
                        "action_id": action_id,
                        "value": blocks.action_value(application_id, "1.3", what),
                    }
                    for action_id, what in (
                        (REMINDER_MARK, "mark"),
                        (REMINDER_SNOOZE, "snooze"),
                        (REMINDER_REASSIGN, "assign"),
                    )
                ],
            }
        ],
    }


@pytest.mark.parametrize(
    ("action_id", "changed", "unchanged"),
    [(REMINDER_MARK, ["1.3"], []), (OFFER_MARK, [], ["1.3"])],
)
async def test_mark_done_from_a_dm_or_an_offer_thanks_and_follows_up(
    bolt: Dispatcher,
    acme: Posted,
    monkeypatch: pytest.MonkeyPatch,
    followups: FollowUpLog,
    action_id: str,
    changed: list[str],
    unchanged: list[str],
) -> None:
    """*Mark done* in a reminder DM, or *Mark 1.3 done* offered after saving credentials:
    mark(application id, [step]); the message itself becomes the thanks (naming the step even
    when it was already done); the follow-up goes on."""
    done = marked(acme.application, changed, unchanged)
    mark = fake(monkeypatch, reminders_listener.checklist, "mark", returns=done)
    in_dm = action_id == REMINDER_MARK
    container = (
        on_message("D0BOB", "1700000060.000100")
        if in_dm
        else on_message("CPAY", "1700000070.000100", ephemeral=True)
    )

    response, _ = await bolt.click(
        button(action_id, blocks.action_value(acme.id, "1.3", "mark")),
        container=container,
        message=reminder_dm(acme.id),
    )

    assert mark.only_call(bolt) == {
        "actor": BOB,
        "ref": acme.id,
        "steps": ["1.3"],
        "force": False,
        "announce": None,
    }
    assert response.status == 200
    label = replies.step_label(done.template, "1.3", ENGLISH_TRANSLATOR)
    (replaced,) = bolt.slack.calls_to("response_url:click")
    assert replaced.args == {
        "replace_original": True,
        "text": f"✅ You marked {label} done. Thank you!",
    }
    assert followups == [FollowedUp(done.followup, None, ())]
    assert answering_calls(bolt.slack) == []


@pytest.mark.parametrize(
    ("value", "choice"),
    [
        ("snooze:3d", "3d"),
        ("snooze:1h", "1h"),
        # The *Snooze 1 day* button of a DM sent before the menu.
        ("snooze", "tomorrow"),
        # Passed on as it came: the use case refuses it (tests/usecases/test_steps.py).
        ("snooze:forever", "forever"),
    ],
)
async def test_snooze_replaces_the_dm_with_until_when(
    bolt: Dispatcher,
    acme: Posted,
    monkeypatch: pytest.MonkeyPatch,
    followups: FollowUpLog,
    value: str,
    choice: str,
) -> None:
    """The *Snooze* menu: snooze(application id, step, choice); the DM says until when, in
    the snoozer's zone."""
    followup = Followup(acme.application, redraw_checklist=False)
    until = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)
    snoozed = steps.Snoozed(
        template_for(acme.application), "1.3", until, followup, "America/Los_Angeles"
    )
    snooze = fake(monkeypatch, reminders_listener.steps, "snooze", returns=snoozed)

    await bolt.click(
        menu_choice(REMINDER_SNOOZE, blocks.action_value(acme.id, "1.3", value)),
        container=on_message("D0BOB", "1700000060.000100"),
        message=reminder_dm(acme.id),
    )

    assert snooze.only_call(bolt) == {
        "actor": BOB,
        "ref": acme.id,
        "step": "1.3",
        "choice": choice,
    }
    label = replies.step_label(snoozed.template, "1.3", ENGLISH_TRANSLATOR)
    (replaced,) = bolt.slack.calls_to("response_url:click")
    assert replaced.args == {
        "replace_original": True,
        "text": f"😴 Snoozed {label}: no reminder before Thu 2026-11-26 09:00 "
        "(America/Los_Angeles).",
    }
    assert followups == [FollowedUp(followup, None, ())]


async def test_reassign_opens_the_assign_modal_for_the_step(
    bolt: Dispatcher, acme: Posted, monkeypatch: pytest.MonkeyPatch, followups: FollowUpLog
) -> None:
    """*Reassign…*: the step menu's `assign` for the DM's step; the assign modal, with the
    current assignee, opened with the click's trigger_id; the DM is left as it is."""
    menu = step_menu_outcome(acme.application, "assign")
    open_step_menu = fake(monkeypatch, reminders_listener.steps, "open_step_menu", returns=menu)

    _, trigger_id = await bolt.click(
        button(REMINDER_REASSIGN, blocks.action_value(acme.id, "1.3", "assign")),
        container=on_message("D0BOB", "1700000060.000100"),
        message=reminder_dm(acme.id),
    )

    assert open_step_menu.only_call(bolt) == {
        "actor": BOB,
        "ref": acme.id,
        "step": "1.3",
        "choice": "assign",
    }
    (opened,) = answering_calls(bolt.slack)
    assert (opened.method, opened.args["trigger_id"]) == ("views.open", trigger_id)
    context = modals.ModalContext(application_id=acme.id, step="1.3")
    expected = modals.assign_modal(context, "Acme POS", menu.step, "UCAROL")
    assert opened.args["view"] == view_dict(expected)
    assert followups == []


@pytest.mark.parametrize(
    ("action_id", "module", "use_case", "what"),
    [
        (REMINDER_MARK, reminders_listener.checklist, "mark", "mark"),
        (OFFER_MARK, reminders_listener.checklist, "mark", "mark"),
        (REMINDER_SNOOZE, reminders_listener.steps, "snooze", "snooze"),
        (REMINDER_REASSIGN, reminders_listener.steps, "open_step_menu", "assign"),
    ],
)
async def test_a_refused_dm_button_is_told_to_the_clicker_only(
    bolt: Dispatcher,
    acme: Posted,
    monkeypatch: pytest.MonkeyPatch,
    followups: FollowUpLog,
    action_id: str,
    module: Any,
    use_case: str,
    what: str,
) -> None:
    """A refusal keeps the DM as it is and adds an ephemeral answer: no modal, no follow-up."""
    refused = fake(monkeypatch, module, use_case, raises=Refusal(REFUSED))

    await bolt.click(
        button(action_id, blocks.action_value(acme.id, "1.3", what)),
        container=on_message("D0BOB", "1700000060.000100"),
        message=reminder_dm(acme.id),
    )

    assert refused.only_call(bolt)["actor"] == BOB
    assert_told_only_the_clicker(bolt.slack, followups, REFUSED)
