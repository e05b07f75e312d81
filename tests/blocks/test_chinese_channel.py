"""What the channel sees (the checklist message; digests, go-live, business start,
escalations, withdrawn announcements and notices from the outbox) in Simplified Chinese: no
English sentence left but names, ids, step numbers, code spans and links; Slack's limits kept;
English as it was; and a row queued before messages carried a language reads as English."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, timedelta

import pytest

from bot.blocks import notifications
from bot.blocks.checklist import checklist_blocks, checklist_fallback_text, day_text
from bot.i18n import ENGLISH_TRANSLATOR, translator
from bot.outbox_messages import (
    KINDS,
    AnnouncementWithdrawn,
    BusinessStart,
    BusinessStartNoContacts,
    Digest,
    Escalations,
    GoLive,
    Message,
    NotificationLine,
    PilotStep,
    Undeliverable,
    decode,
)
from tests.blocks import catalogue
from tests.blocks.catalogue import TODAY, Payload, Texts
from tests.blocks.slack_limits import as_dict, check_message
from tests.i18n_checks import english_sentences, shown_texts
from tests.test_outbox_messages import CHANNEL_KINDS, ROWS_BEFORE

ZH = Texts(language="zh-CN")
# What people and templates typed stays as typed (step titles are translated elsewhere).
TYPED = (ZH.name, ZH.title, ZH.phase, ZH.summary, ZH.link_title, ZH.note, ZH.value)
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _shown(text: str | None, blocks: list | tuple) -> list[str]:
    return ([text] if text else []) + shown_texts([dict(b) for b in blocks])


def _english(text: str | None, blocks: list | tuple, typed=TYPED) -> list[str]:
    return [s for shown in _shown(text, blocks) for s in english_sentences(shown, typed)]


def _blocks(blocks: list) -> list[dict]:
    return [as_dict(b) for b in blocks]


def _channel_messages(texts: Texts) -> list[Message]:
    """Every channel kind as the catalogue fills it, and the forms it does not reach: one
    step, no step number, nothing recorded yet, a single notification, no application."""
    messages = [m for m in catalogue.outbox_messages(texts) if m.KIND in CHANNEL_KINDS]
    by_kind = {m.KIND: m for m in messages}
    escalations = by_kind[Escalations.KIND]
    assert isinstance(escalations, Escalations)
    business = by_kind[BusinessStart.KIND]
    assert isinstance(business, BusinessStart)
    skipped = PilotStep(step="4.2", title=texts.title, done_on=None, skip_reason=texts.note)
    open_ = PilotStep(step="4.3", title=texts.title, done_on=None)
    digest = by_kind[Digest.KIND]
    assert isinstance(digest, Digest)
    messages += [
        dataclasses.replace(escalations, steps=escalations.steps[:1], more=0),
        dataclasses.replace(escalations, more=60),
        dataclasses.replace(by_kind[GoLive.KIND], step=None),
        dataclasses.replace(
            business,
            contacts=(),
            went_live_on=None,
            production_client_id=None,
            pilot=(skipped, open_),
        ),
        dataclasses.replace(by_kind[BusinessStartNoContacts.KIND], step=None),
        dataclasses.replace(by_kind[NotificationLine.KIND], count=1, step=None),
        dataclasses.replace(digest, cadence="daily", applications=(), more=0),
        dataclasses.replace(digest, applications=digest.applications[:1], more=3),
    ]
    withdrawn = by_kind[AnnouncementWithdrawn.KIND]
    for kind in (GoLive.KIND, BusinessStart.KIND, BusinessStartNoContacts.KIND, "unknown"):
        messages.append(dataclasses.replace(withdrawn, original_kind=kind, step=None))
    messages += [
        dataclasses.replace(by_kind[Undeliverable.KIND], what=kind) for kind in sorted(KINDS)
    ]
    return messages


ZH_MESSAGES = _channel_messages(ZH)


@pytest.mark.parametrize(
    "message", ZH_MESSAGES, ids=[f"{m.KIND}-{i}" for i, m in enumerate(ZH_MESSAGES)]
)
def test_each_channel_message_in_chinese_has_no_english_sentence(message: Message) -> None:
    assert message.language == "zh-CN"
    text, blocks = notifications.render(message)

    assert _english(text, _blocks(blocks)) == []
    assert _CJK.search(text)
    check_message(text, blocks)


def test_the_checklist_in_chinese_has_no_english_sentence_and_dates_for_the_language() -> None:
    payloads = [p for p in catalogue.payloads(ZH) if p.name.startswith("checklist")]
    assert {p.name for p in payloads} == {
        "checklist default",
        "checklist expanded",
        "checklist phase 1",
    }
    for payload in payloads:
        assert _english(payload.text, payload.blocks) == [], payload.name
        check_message(payload.text, payload.blocks, reply=True)
    shown = "\n".join(_shown(payloads[1].text, payloads[1].blocks))
    # Buttons, the step menu, the legend, the due dates (Babel's, in Chinese).
    for said in ("标记完成", "撤销", "全部展开", "指派…", "步骤选项…", "✅ 已完成", "📅 截止"):
        assert said in shown
    assert translator("zh-CN").short_day(TODAY + timedelta(days=1)) in shown
    assert not re.search(r"\d{4}-\d{2}-\d{2}", shown)


def test_a_checklist_too_long_for_one_message_says_so_in_chinese() -> None:
    sixty = dataclasses.replace(ZH, sizes=(5,) * 12)
    tmpl = catalogue.template(sixty)
    shown = catalogue.checklist(sixty, tmpl, catalogue.application(sixty))
    blocks = _blocks(checklist_blocks(shown, TODAY, t=translator("zh-CN")))

    folded = [b for b in blocks if b.get("block_id") == "folded"]
    assert folded and _english(None, folded) == []
    assert _english(None, blocks) == []
    check_message(checklist_fallback_text(shown, translator("zh-CN")), blocks)


def test_english_is_the_default_and_unchanged_dates_stay_iso() -> None:
    texts = Texts()
    tmpl = catalogue.template(texts)
    shown = catalogue.checklist(texts, tmpl, catalogue.application(texts))
    default = _blocks(checklist_blocks(shown, TODAY))

    assert default == _blocks(checklist_blocks(shown, TODAY, t=ENGLISH_TRANSLATOR))
    assert "📅 due 2026-" in str(default) and not _CJK.search(str(default))
    assert day_text(ENGLISH_TRANSLATOR, date(2026, 12, 3)) == "2026-12-03"
    assert day_text(translator("zh-CN"), date(2026, 12, 3)) == "12月3日周四"


def _row_before(kind: str) -> dict:
    """A row of `kind` as queued before messages carried a language: one written by hand
    then, or (for kinds born as dataclasses) today's payload without the field."""
    if kind in ROWS_BEFORE:
        return ROWS_BEFORE[kind]
    (message,) = [m for m in catalogue.outbox_messages(Texts()) if kind == m.KIND]
    row = message.to_payload()
    del row["language"]
    return row


@pytest.mark.parametrize("kind", sorted(CHANNEL_KINDS))
def test_a_row_queued_without_a_language_renders_english(kind: str) -> None:
    row = _row_before(kind)
    before = decode(kind, row)
    text, blocks = notifications.render(before)

    assert getattr(before, "language", None) == "en"
    assert not _CJK.search(text + str(_blocks(blocks)))
    # The same row, with the channel's language: Chinese, but what was typed.
    zh_text, zh_blocks = notifications.render(decode(kind, row | {"language": "zh-CN"}))
    assert _CJK.search(zh_text)
    assert _english(zh_text, _blocks(zh_blocks), _typed(row)) == []


def _typed(row: object) -> list[str]:
    """Every text a row holds (names, titles, reasons), which shows as it was typed."""
    if isinstance(row, str):
        return [row]
    if isinstance(row, dict):
        return [t for value in row.values() for t in _typed(value)]
    if isinstance(row, list):
        return [t for value in row for t in _typed(value)]
    return []


def test_every_kind_has_a_name_for_the_undeliverable_notice() -> None:
    """A new kind without a name would show its English KIND in a Chinese notice."""
    assert set(notifications._KIND_NAMES) == set(KINDS)


def test_the_channel_payloads_in_chinese_are_in_the_limits_catalogue() -> None:
    from tests.blocks.test_block_limits import DATASETS

    assert {t.language for t in DATASETS.values()} == {"en", "zh-CN"}
    names = {p.name for p in catalogue.payloads(ZH) if isinstance(p, Payload)}
    assert {f"outbox {kind}" for kind in CHANNEL_KINDS} <= names
