"""No user text becomes a mention, a broadcast or a link, in any payload the bot sends.

Slack parses as mrkdwn a message's top-level `text` (chat.postMessage, chat.update, respond,
ack: what notifications show) as well as mrkdwn blocks, section fields and context elements.
A member who names an application `<!channel> Acme` (Slack sends a typed @channel that way)
must not make the go-live announcement, a reminder or the checklist's fallback text ping the
channel. Hypothesis builds names, titles, notes and every text field of every outbox kind
from the pieces Slack gives meaning to; every builder's output (tests/blocks/catalogue.py)
may then hold only the mentions of the ids it was given and the template's own links.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.blocks import replies
from bot.blocks.checklist import checklist_fallback_text
from bot.blocks.notifications import render
from bot.outbox_messages import KINDS, GoLive, Reminder
from tests.blocks import catalogue
from tests.blocks.catalogue import Payload, Texts
from tests.blocks.slack_limits import (
    assert_no_injection,
    check_message,
    check_view,
    mrkdwn_fields,
)

# What Slack gives meaning to in mrkdwn, and what people type around it.
PIECES = (
    "<!channel>", "<!here>", "<!everyone>", "<!subteam^S123>", "<!subteam^S123|@team>",
    "<@U999>", "<@U999|boss>", "<#C999>", "<#C999|general>", "<https://evil.example|click>",
    "<mailto:a@evil.example>", "&", "<", ">", "&amp;", "&lt;", "&gt;", "&lt", "&#60;", "|",
    "*", "_", "~", "`", "```", "\n", " ", "Acme POS", "支付宝", "@channel",
)  # fmt: skip

hostile = (
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=4)), min_size=1, max_size=10)
    .map(lambda parts: " ".join("".join(parts).split()))  # as a name is cleaned: one line
    .filter(bool)
)
# Now and then one just past a section's 3,000 characters: cutting it to fit must not undo
# the escaping.
hostile_text = st.one_of(
    hostile, hostile, hostile, hostile.map(lambda text: text * (3100 // len(text) + 1))
)
# Template links pass the template's checks (http(s) with a host), nothing more.
template_url = st.sampled_from(
    [
        "https://global.alipay.com/docs/ac/instore",
        "https://evil.example/a>b|<!channel>",
        "https://x.example/?a=1&b=<@U999>&c=&lt;",
    ]
)


@st.composite
def hostile_texts(draw: st.DrawFn) -> Texts:
    return Texts(
        name=draw(hostile_text),
        title=draw(hostile_text),
        phase=draw(hostile_text),
        summary=draw(hostile_text),
        link_title=draw(hostile_text),
        note=draw(hostile_text),
        value=draw(hostile_text),
        url=draw(template_url),
        sizes=(2, 1),
        applications=3,
        many=2,
    )


def hostile_messages(data: st.DataObject) -> list:
    """One message of every outbox kind, every text field (but the ids) hostile; a step
    number (from a template, where it is checked) short."""

    def text_for(name: str) -> str:
        return data.draw(hostile if name == "step" else hostile_text, label=name)

    return [catalogue.message_of(cls, text_for, many=2) for cls in KINDS.values()]


def assert_only_the_bots_own(payload: Payload, texts: Texts) -> None:
    blocks = payload.blocks or (payload.view or {}).get("blocks")
    for text in mrkdwn_fields(payload.text, blocks):
        try:
            assert_no_injection(
                text, users=catalogue.USERS, channels=catalogue.CHANNELS, urls=[texts.url]
            )
        except AssertionError as e:
            raise AssertionError(f"{payload.name}: {e}") from None


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=hostile_texts(), data=st.data())
def test_no_payload_carries_a_mention_the_bot_did_not_make(texts: Texts, data: st.DataObject):
    for payload in catalogue.payloads(texts, hostile_messages(data)):
        assert_only_the_bots_own(payload, texts)
        # And hostile text of any length still fits what Slack accepts.
        if payload.surface == "view":
            check_view(payload.view or {})
        else:
            check_message(payload.text, payload.blocks, reply=payload.surface == "reply")


# ---- the cases the issue names, spelled out ------------------------------------------------

BROADCAST = "<!channel> Acme"


def test_the_go_live_announcement_does_not_ping_the_channel() -> None:
    message = GoLive(
        application_id=1, application=BROADCAST, slug="acme", channel="CPAY",
        marked_by="UBOB", marked_on=catalogue.TODAY, step="3.4",
    )  # fmt: skip
    text, blocks = render(message)
    assert text == "&lt;!channel&gt; Acme is live in production"
    for field in mrkdwn_fields(text, blocks):
        assert "<!channel>" not in field
        assert_no_injection(field, users={"UBOB"})
    assert "<@UBOB> marked step 3.4" in mrkdwn_fields(text, blocks)[1]


def test_a_reminder_dm_shows_the_name_as_typed() -> None:
    message = Reminder(
        application_id=1, application=BROADCAST, slug="acme", step="1.1",
        title="Tell <@U999> & <!here>", channel="CPAY", reason="stalled", waited_days=2,
        since=catalogue.TODAY, due_on=None,
    )  # fmt: skip
    text, blocks = render(message)
    assert text == "Step 1.1 of &lt;!channel&gt; Acme has waited 2 working days (since 2026-11-30)"
    (section,) = [b.to_dict()["text"]["text"] for b in blocks if b.type == "section"]
    assert "_Tell &lt;@U999&gt; &amp; &lt;!here&gt;_" in section and "in <#CPAY>" in section


def test_the_checklists_fallback_text_is_escaped() -> None:
    texts = Texts(name=BROADCAST)
    tmpl = catalogue.template(texts)
    shown = catalogue.checklist(texts, tmpl, catalogue.application(texts))
    assert checklist_fallback_text(shown) == (
        "&lt;!channel&gt; Acme: 12/19 steps complete (3 skipped)"
    )


def test_ids_that_are_not_ids_never_become_mentions() -> None:
    """Mentions are built from ids only: an id field holding anything else shows as text."""
    not_ids = catalogue.Ids(user="U1><!channel", channel="C1><!here", to="<!everyone>")
    for cls in KINDS.values():
        message = catalogue.message_of(cls, lambda name: "x", 1, not_ids)
        text, blocks = render(message)
        for field in mrkdwn_fields(text, blocks):
            assert_no_injection(field)
    application = catalogue.application(Texts())
    application.contacts_channel_id = "C1><!here"
    assert_no_injection(replies.contacts(application, ["<!everyone>", "U1|x"]))
