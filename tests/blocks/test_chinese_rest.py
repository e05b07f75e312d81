"""The remaining replies and forms in Simplified Chinese: the second-application question, the
question before a mark announces, the credentials replies and forms, a person's own settings.
No English sentence left, Slack's limits kept, English as it was."""

from __future__ import annotations

import dataclasses

import pytest

from bot.blocks import announce, credentials, people
from bot.i18n import translator
from bot.usecases.people import MySettings
from tests.blocks import catalogue
from tests.blocks.catalogue import Payload, Texts
from tests.blocks.slack_limits import assert_no_injection, check_message, check_view, mrkdwn_fields
from tests.blocks.test_block_limits import DATASETS
from tests.i18n_checks import english_sentences, shown_texts

# The channel reads Chinese too, so the announcement the preview shows is Chinese.
TEXTS = Texts(language="zh-CN")
# What people and templates typed stays as typed; the signature check's reason is English.
TYPED = (TEXTS.name, TEXTS.title, TEXTS.summary, TEXTS.link_title, TEXTS.note, TEXTS.value)
ZH = translator("zh-CN")


def _shown(payload: Payload) -> list[str]:
    found = [payload.text] if payload.text else []
    return found + shown_texts(list(payload.blocks) or payload.view)


def _english(payload: Payload) -> list[str]:
    return [s for text in _shown(payload) for s in english_sentences(text, TYPED)]


@pytest.mark.parametrize(
    "payload", catalogue.remaining_payloads(TEXTS, "zh-CN"), ids=lambda p: p.name
)
def test_the_remaining_surfaces_in_chinese_have_no_english_sentence(payload: Payload) -> None:
    assert _english(payload) == []
    assert any("\u4e00" <= c <= "\u9fff" for text in _shown(payload) for c in text)


def test_the_check_finds_english_in_the_same_surfaces_built_in_english() -> None:
    english = catalogue.remaining_payloads(Texts(), "en")
    assert [p.name for p in english if not _english(p)] == []


def _check(payload: Payload) -> None:
    if payload.surface == "view":
        assert payload.view is not None
        check_view(payload.view)
    else:
        check_message(payload.text, payload.blocks, reply=True)
    for text in mrkdwn_fields(payload.text, payload.blocks or (payload.view or {}).get("blocks")):
        assert_no_injection(
            text, users=catalogue.USERS, channels=catalogue.CHANNELS, urls=[Texts().url]
        )


@pytest.mark.parametrize("texts", DATASETS.values(), ids=DATASETS.keys())
def test_the_chinese_payloads_are_within_slacks_limits(texts: Texts) -> None:
    failed = {}
    for payload in catalogue.remaining_payloads(texts, "zh-CN"):
        try:
            _check(payload)
        except AssertionError as e:
            failed[payload.name] = str(e)[:300]
    assert failed == {}


def test_away_dates_are_written_the_chinese_way() -> None:
    away = MySettings(catalogue.TODAY.replace(year=2026, month=12, day=3), None, catalogue.TODAY)
    shown = people.away_reply(away, "show", ZH)
    assert "2026年12月3日周四" in shown and "12月4日周五" in shown
    english = people.away_reply(away, "show")
    assert "Thu 3 Dec 2026" in english and "Back on Fri 4 Dec" in english


def test_the_preview_names_steps_by_their_chinese_titles_where_the_template_has_them() -> None:
    tmpl = catalogue.template(TEXTS)
    step = dataclasses.replace(tmpl.steps[-1], title_translations=(("zh-CN", "上线"),))
    phases = tuple(
        dataclasses.replace(p, steps=tuple(step if s.number == step.number else s for s in p.steps))
        for p in tmpl.phases
    )
    tmpl = dataclasses.replace(tmpl, phases=phases)
    done = announce.chosen(tmpl, [step.number], "announce", None, t=ZH)
    assert done == f"✅ 已将 {step.number} _上线_ 标记为完成并已发布公告。"
    english = announce.chosen(tmpl, [step.number], "announce", None)
    assert english == f"✅ Marked {step.number} _{step.title}_ done and announced it."


def test_a_missing_diagnosis_field_is_explained_in_chinese() -> None:
    errors = credentials.read_diagnosis({"state": {"values": {}}}, ZH)
    assert errors == {
        "request_line": "请填写方法和路径，例如 POST /ams/api/v1/payments/pay",
        "headers": "缺少 client-id, request-time, signature：请粘贴这些请求头行。",
        "pasted_key": "请粘贴用于验签的公钥，或选择一个已保存的公钥。",
    }
