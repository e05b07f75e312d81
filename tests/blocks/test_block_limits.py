"""Every payload the builders produce stays within what real Slack accepts.

The Slack stand-in takes anything, so these check the builders' output against Slack's
published limits (tests/blocks/slack_limits.py) for representative data and for the
extremes: 60-step templates, names and titles at and past every length limit, 250
applications, a step summary of 5,000 characters. Then the particular cases real Slack
rejected: the credentials form, `/onboard list`, the guide modal, the offer's buttons, and
syntax shown as raw `<slug>`.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import pytest

from bot.blocks import credentials, modals, replies
from bot.blocks.credentials import OFFER_MARK, OFFER_MARK_ACTION
from bot.checklists import Step
from bot.command_parser import MAX_CREDENTIAL, ListApps, ParseError, parse_command
from bot.services.listing import Listing
from tests.blocks import catalogue
from tests.blocks.catalogue import Payload, Texts
from tests.blocks.slack_limits import (
    MAX_INPUT_LENGTH,
    assert_no_injection,
    check_message,
    check_view,
    mrkdwn_fields,
    walk,
)

AMPERSANDS = "R&D <POS> & Sons "  # grows five-fold when escaped
EXTREME = Texts(
    name=(AMPERSANDS * 12)[:200],  # the database's limit for a name
    title="Reconcile the merchant settlement account " * 80,  # 3,440 characters
    phase="Phase " + "with a very long title & more " * 20,
    summary="Do this & that, <carefully>. " * 200,  # 5,800 characters
    link_title="Guide & reference " * 20,
    note="note & " * 300,  # past the 2,000 a note may have
    value="https://" + "a" * 2990,  # as long as a credential may be
    sizes=(5,) * 12,  # 60 steps
    applications=250,
    many=12,
)
UNEVEN = Texts(sizes=(4, 30, 6, 2, 9, 1, 5, 3), applications=41, many=5)
DATASETS = {
    "representative": Texts(),
    "extreme": EXTREME,
    "uneven": UNEVEN,
    # The channel's surfaces in Chinese: other words, other lengths, the same limits.
    "representative zh-CN": Texts(language="zh-CN"),
    "extreme zh-CN": dataclasses.replace(EXTREME, language="zh-CN"),
}


def check(payload: Payload) -> None:
    if payload.surface == "view":
        assert payload.view is not None
        check_view(payload.view)
    else:
        check_message(payload.text, payload.blocks, reply=payload.surface == "reply")
    # Cutting to fit never leaves half an entity or mention behind.
    for text in mrkdwn_fields(payload.text, payload.blocks or (payload.view or {}).get("blocks")):
        assert_no_injection(
            text, users=catalogue.USERS, channels=catalogue.CHANNELS, urls=[Texts().url]
        )


@pytest.mark.parametrize("texts", DATASETS.values(), ids=DATASETS.keys())
def test_every_payload_is_within_slacks_limits(texts: Texts) -> None:
    # Building them is part of the test: a builder that breaks a limit slack_sdk knows
    # raises SlackObjectFormationError here.
    failed = {}
    for payload in catalogue.payloads(texts):
        try:
            check(payload)
        except AssertionError as e:
            failed[payload.name] = str(e)[:300]
    assert failed == {}


def test_the_catalogue_calls_every_builder() -> None:
    names = {p.name.split(" ")[0] for p in catalogue.payloads(Texts())}
    assert {"checklist", "home", "list", "history", "creds", "credentials", "diagnosis"} <= names
    kinds = {p.name for p in catalogue.payloads(Texts()) if p.name.startswith("outbox ")}
    assert kinds == {f"outbox {kind}" for kind in catalogue.KINDS}


# ---- the credentials form ----------------------------------------------------------------------


def test_the_credentials_form_takes_what_slack_allows() -> None:
    application = catalogue.application(Texts())
    view = check_view(credentials.credentials_modal(application, [], "{}"))
    inputs = [d for d in walk(view["blocks"]) if d.get("type") == "plain_text_input"]
    assert len(inputs) == 8
    assert {i["max_length"] for i in inputs} == {MAX_CREDENTIAL}
    assert MAX_CREDENTIAL <= MAX_INPUT_LENGTH


def test_a_credential_longer_than_the_form_takes_is_refused_naming_the_limit() -> None:
    assert parse_command(f"creds set sandbox public-key {'k' * MAX_CREDENTIAL}").value == (
        "k" * MAX_CREDENTIAL
    )
    refused = parse_command(f"creds set sandbox public-key {'k' * (MAX_CREDENTIAL + 1)}")
    assert isinstance(refused, ParseError)
    assert f"at most {MAX_CREDENTIAL:,}" in refused.message and "3,000" in refused.message


# ---- `/onboard list` ------------------------------------------------------------------------


def _listing(here: int, elsewhere: int, texts: Texts = EXTREME) -> Listing:
    apps = [catalogue.application(texts, i, archived=i % 7 == 0) for i in range(here + elsewhere)]
    return Listing(
        here=apps[:here],
        elsewhere=apps[here:],
        done={a.id: 3 for a in apps},
        totals={a.id: 19 for a in apps},
    )


@pytest.mark.parametrize("texts", [Texts(), EXTREME], ids=["short names", "longest names"])
def test_a_long_list_comes_in_pages_well_under_slacks_advice(texts: Texts) -> None:
    listing = _listing(180, 70, texts)
    pages = [replies.application_listing(listing, n) for n in range(1, 30)]
    shown = [p for p in pages if not p.startswith("There is no page")]
    assert 2 < len(shown) < 29
    for n, page in enumerate(shown, start=1):
        assert len(page) <= 3500, (n, len(page))
        check_message(page, reply=True)
        assert f"Page {n} of {len(shown)}: applications " in page
    # Every application once, in order: this channel's, then the person's elsewhere.
    slugs = [s for page in shown for s in re.findall(r"\(`(app-\d+)`\)", page)]
    assert slugs == [a.slug for a in [*listing.here, *listing.elsewhere]]
    # Each page but the last says how to see the next; the last how to start again.
    for n, page in enumerate(shown[:-1], start=1):
        assert page.endswith(f"`/onboard list {n + 1}` shows the next page.")
    assert shown[-1].endswith("`/onboard list` shows the first page again.")
    # The headings follow the applications onto the pages they continue on.
    assert shown[0].startswith("Applications in this channel:")
    assert "Yours in other channels" in shown[-1]
    assert pages[len(shown)] == (
        f"There is no page {len(shown) + 1}: the list has {len(shown)} pages, "
        f"the last is `/onboard list {len(shown)}`."
    )


def test_short_names_fill_a_page_with_twenty() -> None:
    listing = _listing(45, 0, Texts())
    first = replies.application_listing(listing, 1)
    assert first.count("\n• ") == replies.LIST_PAGE == 20
    assert "Page 1 of 3: applications 1–20 of 45." in first


def test_a_short_list_is_one_page_without_a_footer() -> None:
    listing = _listing(2, 1, Texts())
    text = replies.application_listing(listing)
    assert "Page" not in text and "/onboard list" not in text
    assert text == (
        replies.application_list(replies.HERE, listing.here, listing.done, listing.totals)
        + "\n\n"
        + replies.application_list(
            replies.ELSEWHERE, listing.elsewhere, listing.done, listing.totals
        )
    )


def test_list_takes_a_page_number() -> None:
    assert parse_command("list") == ListApps(page=1)
    assert parse_command("list 3") == ListApps(page=3)
    assert parse_command("list ３ --app acme") == ListApps(app="acme", page=3)
    for wrong in ("list 0", "list -1", "list two", "list 1.5"):
        refused = parse_command(wrong)
        assert isinstance(refused, ParseError), wrong
        assert "page number" in refused.message
    assert "one page number at most" in parse_command("list 1 2").message


# ---- the guide modal and other text cut to fit ------------------------------------------------


def test_a_guide_step_longer_than_a_section_is_cut_with_an_ellipsis() -> None:
    summary = "Open the Developer Center & upload the key. " * 120  # 5,280 characters
    step = Step(number="1.4", phase=1, position=3, title="Upload keys", summary=summary)
    view = check_view(modals.guide_modal("Acme", step, "https://example.com/guide"))
    body = view["blocks"][1]["text"]["text"]
    assert body.startswith("*1.4 Upload keys*\nOpen the Developer Center &amp; upload the key.")
    assert body.endswith("…") and len(body) <= 3000
    assert "<https://example.com/guide|The whole guide>" in view["blocks"][2]["text"]["text"]


def test_a_long_header_keeps_the_progress() -> None:
    texts = Texts(name="N" * 200)
    tmpl = catalogue.template(texts)
    shown = catalogue.checklist(texts, tmpl, catalogue.application(texts))
    payload = catalogue.payloads(texts)[0]
    header = payload.blocks[0]["text"]["text"]
    progress = f"{shown.complete_count}/{shown.total} ({shown.skipped_count} skipped)"
    assert shown.skipped_count and len(header) == 150 and header.endswith(f"… · {progress}")


# ---- the offer to mark steps after saving credentials ---------------------------------------


def test_the_offers_buttons_have_unique_action_ids_the_listener_matches() -> None:
    texts = Texts()
    application = catalogue.application(texts)
    ready = ["1.3", "1.4", "1.5"]
    _, blocks = credentials.saved_many(application, catalogue.template(texts), [], ready)
    (offer,) = [b.to_dict() for b in blocks if b.block_id == "offer"]
    ids = [e["action_id"] for e in offer["elements"]]
    assert len(set(ids)) == 3
    assert ids == [credentials.offer_action_id(n) for n in ready]
    # The listener subscribes with OFFER_MARK_ACTION: every button, and the buttons of
    # messages sent before the suffix, but nothing else.
    assert all(OFFER_MARK_ACTION.fullmatch(i) for i in [*ids, OFFER_MARK])
    for other in ("offer_mark_stepx", "offer_mark_step:", "reminder_mark", "x" + OFFER_MARK):
        assert not OFFER_MARK_ACTION.fullmatch(other), other


# ---- syntax shown as `<slug>` --------------------------------------------------------------


def test_an_empty_list_shows_the_syntax_it_suggests_escaped() -> None:
    text = replies.application_listing(Listing([], [], {}, {}))
    assert "`/onboard new &lt;name&gt;`" in text
    assert_no_injection(text)


BOT = Path(__file__).resolve().parents[2] / "bot"
# Inline code that shows a placeholder like `<slug>` or `<sandbox|production>`: in mrkdwn
# Slack reads it as a link (`<a|b>`) or drops it.
RAW_SYNTAX = re.compile(r"`[^`\n]*<[a-z][a-z|_ -]*>[^`\n]*`")


def _string_constants(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        and id(node) not in docstrings
    ]  # fmt: skip


def test_no_reply_in_the_code_shows_raw_syntax() -> None:
    found = [
        f"{path.relative_to(BOT)}: {text!r}"
        for path in sorted(BOT.rglob("*.py"))
        for text in _string_constants(path)
        if RAW_SYNTAX.search(text)
    ]
    assert found == []
