"""What only one person sees (reminder and assignment DMs, App Home, the step modals) in
Simplified Chinese: no English sentence left, Slack's limits kept, English as it was."""

from __future__ import annotations

import dataclasses
import json

import pytest

from bot.blocks import modals, notifications, replies
from bot.checklists import get_template
from bot.i18n import translator
from bot.outbox_messages import decode
from tests.blocks import catalogue
from tests.blocks.catalogue import Payload, Texts
from tests.blocks.slack_limits import assert_no_injection, check_message, check_view, mrkdwn_fields
from tests.blocks.test_block_limits import DATASETS
from tests.i18n_checks import english_sentences, shown_texts

TEXTS = Texts()
# What people and templates typed stays as typed (step titles are translated elsewhere).
TYPED = (TEXTS.name, TEXTS.title, TEXTS.summary, TEXTS.link_title, TEXTS.note, TEXTS.value)


def _shown(payload: Payload) -> list[str]:
    found = [payload.text] if payload.text else []
    return found + shown_texts(list(payload.blocks) or payload.view)


def _english(payload: Payload) -> list[str]:
    return [s for text in _shown(payload) for s in english_sentences(text, TYPED)]


@pytest.mark.parametrize("payload", catalogue.person_payloads(TEXTS, "zh-CN"), ids=lambda p: p.name)
def test_what_one_person_sees_in_chinese_has_no_english_sentence(payload: Payload) -> None:
    assert _english(payload) == []
    assert any("\u4e00" <= c <= "\u9fff" for text in _shown(payload) for c in text)


def test_the_check_finds_english_left_in_a_chinese_payload() -> None:
    english = catalogue.person_payloads(TEXTS, "en")
    assert all(_english(p) for p in english)


def test_many_applications_and_steps_on_the_home_tab_say_how_many_more_in_chinese() -> None:
    texts = Texts(applications=120)
    (home,) = [p for p in catalogue.person_payloads(texts, "zh-CN") if p.name == "home (zh-CN)"]
    shown = "\n".join(_shown(home))
    assert "……还有" in shown and "个你的步骤" in shown and "个应用" in shown
    assert _english(home) == []


def _check(payload: Payload) -> None:
    """test_block_limits.check, the App Home deep link allowed (the scheduler builds it)."""
    if payload.surface == "view":
        assert payload.view is not None
        check_view(payload.view)
    else:
        check_message(payload.text, payload.blocks, reply=False)
    for text in mrkdwn_fields(payload.text, payload.blocks or (payload.view or {}).get("blocks")):
        assert_no_injection(
            text,
            users=catalogue.USERS,
            channels=catalogue.CHANNELS,
            urls=[Texts().url, catalogue.APP_HOME_LINK],
        )


@pytest.mark.parametrize("texts", DATASETS.values(), ids=DATASETS.keys())
def test_the_chinese_payloads_are_within_slacks_limits(texts: Texts) -> None:
    failed = {}
    for payload in catalogue.person_payloads(texts, "zh-CN"):
        try:
            _check(payload)
        except AssertionError as e:
            failed[payload.name] = str(e)[:300]
    assert failed == {}


def test_a_chinese_reminder_dates_its_steps_the_chinese_way() -> None:
    (one,) = [
        p
        for p in catalogue.person_payloads(TEXTS, "zh-CN")
        if p.name.startswith("reminders") and p.text and p.text.startswith("Acme")
    ]
    assert one.text.endswith("已等待 3 个工作日（自 2026年11月30日周一 起）")
    section = one.blocks[0]["text"]["text"]
    assert section.startswith(f"⏰ <#{catalogue.CHANNEL}> 中 *Acme POS* 的步骤 *3.4*")
    labels = [o["text"]["text"] for o in one.blocks[1]["elements"][1]["options"]]
    assert labels == ["1 小时", "明天", "3 天", "下周"]


ROW_WITHOUT_LANGUAGE = {
    "reminders": {
        "applications": [
            {
                "application_id": 1,
                "application": "Acme POS",
                "slug": "acme-pos",
                "channel": "CPAY",
                "steps": [
                    {
                        "step": "1.2",
                        "title": "Keys",
                        "reason": "stalled",
                        "waited_days": 3,
                        "since": "2026-11-24",
                        "due_on": None,
                    }
                ],
            }
        ]
    },
    "step-assignment": {
        "application_id": 1,
        "application": "Acme POS",
        "slug": "acme-pos",
        "step": "1.2",
        "title": "Keys",
        "channel": "CPAY",
        "by": "UBOB",
        "due_on": "2026-12-03",
        "notes": [],
    },
}


@pytest.mark.parametrize("kind", sorted(ROW_WITHOUT_LANGUAGE))
def test_a_row_queued_without_a_language_renders_in_english(kind: str) -> None:
    message = decode(kind, ROW_WITHOUT_LANGUAGE[kind])
    assert message.language == "en"
    text, _ = notifications.render(message)
    assert text in (
        "Step 1.2 of Acme POS has waited 3 working days (since 2026-11-24)",
        "You were assigned step 1.2 of Acme POS",
    )
    chinese = notifications.render(dataclasses.replace(message, language="zh-CN"))
    assert chinese[0] in (
        "Acme POS 的步骤 1.2 已等待 3 个工作日（自 2026年11月24日周二 起）",
        "你被指派了 Acme POS 的步骤 1.2",
    )
    assert message.to_payload()["language"] == "en"


def test_a_snoozed_reminder_says_until_when_in_the_snoozers_zone_and_language() -> None:
    tmpl = catalogue.template(TEXTS)
    english = replies.reminder_snoozed(tmpl, "1.1", catalogue.NOW, "Asia/Shanghai")
    assert english.startswith("😴 Snoozed 1.1 _")
    assert english.endswith(": no reminder before Mon 2026-11-30 17:30 (Asia/Shanghai).")
    chinese = replies.reminder_snoozed(
        tmpl, "1.1", catalogue.NOW, "Asia/Shanghai", translator("zh-CN")
    )
    assert chinese.endswith("：2026年11月30日周一 17:30（Asia/Shanghai）之前不会再提醒。")


def test_english_sentences_allows_names_ids_code_and_links_but_not_english() -> None:
    chinese = "⏰ <#C1> 中 *Acme POS* 的步骤 *3.4* 已到期。用 `/onboard mark 3.4` 标记。"
    assert english_sentences(chinese, ["Acme POS"]) == []
    assert english_sentences("<https://x.example/a|完整指南> · <@U1> Onboard") == []
    assert english_sentences("已标记。Mark done") == ["Mark done"]
    assert english_sentences("Save") == ["Save"]


def test_the_step_modals_name_the_step_and_show_its_guidance_in_the_readers_language() -> None:
    """The guide and assign modals of step 1.3 read its Chinese title and summary from the
    template; in English, the English ones."""
    template = get_template()
    step = template.step("1.3")
    zh = translator("zh-CN")
    guide = json.dumps(
        modals.guide_modal("Acme", step, template.guide_url, zh).to_dict(), ensure_ascii=False
    )
    assert step.title_in("zh-CN") in guide and step.summary_in("zh-CN")[:20] in guide
    assert step.title not in guide
    context = modals.ModalContext(application_id=1, step=step.number)
    assign = json.dumps(
        modals.assign_modal(context, "Acme", step, None, zh).to_dict(), ensure_ascii=False
    )
    assert step.title_in("zh-CN") in assign
