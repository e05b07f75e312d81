"""Every refusal is a marked message: `refusal.text(t)` says it in the reader's language, while
`refusal.message` stays the English text callers and tests have always read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import pytest

from bot.checklists import get_template
from bot.i18n import ENGLISH_TRANSLATOR, N_, translator
from bot.services import checklist as svc
from bot.services import credentials as credential_svc
from bot.services.due_dates import DueSpec, resolve_due
from bot.services.errors import Phrase, Refusal
from bot.services.people import check_away_until
from bot.services.snooze import check_choice
from bot.usecases import access, credentials, settings, steps
from bot.usecases.context import Actor, Deps
from storage.models import Application
from tests.i18n_checks import english_sentences

CHINESE = translator("zh-CN")
# Names the refusals below insert as they are (allowed to stay English in a Chinese one).
NAMES = ("Acme POS", "acme-pos")


def refused(call: Callable[[], Any]) -> Refusal:
    with pytest.raises(Refusal) as caught:
        call()
    return caught.value


async def refused_async(call: Awaitable[Any]) -> Refusal:
    with pytest.raises(Refusal) as caught:
        await call
    return caught.value


def assert_chinese(refusal: Refusal) -> str:
    """The refusal in Chinese says no English sentence, and its English stays `.message`."""
    chinese = refusal.text(CHINESE)
    assert english_sentences(chinese, NAMES) == [], chinese
    assert chinese != refusal.message
    assert refusal.text(ENGLISH_TRANSLATOR) == refusal.message == str(refusal)
    return chinese


def test_a_refusal_keeps_its_params_as_given_and_its_english_as_message() -> None:
    """Inserted values are not escaped again nor read as placeholders; a Phrase param is
    translated with the message, and joined pieces take the language's separator."""
    refusal = Refusal(
        N_("There is no step `{ref}`. Valid steps: {valid}; or a whole phase, 1–{last}."),
        ref="&lt;{x}&gt;",
        valid="1.1–1.3",
        last=8,
    )
    assert refusal.message == (
        "There is no step `&lt;{x}&gt;`. Valid steps: 1.1–1.3; or a whole phase, 1–8."
    )
    assert refusal.text(CHINESE) == "没有步骤 `&lt;{x}&gt;`。有效的步骤：1.1–1.3；或整个阶段 1–8。"
    problems = Phrase.joined(
        [
            Phrase(N_("the {label} is not set"), label=credential_svc.named("production", f))
            for f in ("client_id", "public_key")
        ]
    )
    assert problems.text(ENGLISH_TRANSLATOR) == (
        "the production client ID is not set; the production merchant public key is not set"
    )
    assert problems.text(CHINESE) == "生产环境客户端 ID尚未设置；生产环境商户公钥尚未设置"


def test_the_services_refusals_are_said_in_chinese() -> None:
    template = get_template()
    today = date(2026, 12, 3)
    samples = [
        refused(lambda: svc.expand_steps(template, ["9.9"])),
        refused(lambda: svc.expand_steps(template, ["99"])),
        refused(lambda: svc.step_number(template, "3")),
        refused(lambda: check_choice("forever")),
        refused(lambda: resolve_due(DueSpec("date", date(2026, 1, 1)), today)),
        refused(lambda: check_away_until(date(2026, 1, 1), today)),
        refused(lambda: check_away_until(date(2028, 1, 1), today)),
        refused(lambda: credential_svc.normalize("sandbox", "client_id", "x")),
        refused(lambda: credential_svc.normalize("production", "client_id", "SANDBOX_2021")),
        refused(lambda: credential_svc.normalize("sandbox", "notify_url", "http://x")),
        refused(lambda: credential_svc.normalize("sandbox", "public_key", "not a key")),
    ]
    for refusal in samples:
        assert_chinese(refusal)
    assert "沙箱客户端 ID" in samples[7].text(CHINESE)
    # The key parser's own reason is translated with it (the CLI keeps its English).
    assert samples[-1].message == (
        "That sandbox merchant public key was refused: That is not base64 or PEM; expected an"
        " RSA public key of at least 2048 bits, as one line of base64 (the form the Developer"
        " Center shows) or as PEM (-----BEGIN PUBLIC KEY-----)."
    )
    assert "这既不是 base64 也不是 PEM" in samples[-1].text(CHINESE)


def test_a_form_s_problems_are_told_together_in_chinese() -> None:
    """Each bad value of the credentials form is its own refusal; saving tells them all."""
    found = credentials.problems(
        {
            ("sandbox", "client_id"): "x",
            ("staging", "client_id"): "y",
            ("sandbox", "notify_url"): "",
        }
    )
    assert len(found) == 3
    together = Refusal.joined(list(found.values()))
    assert together.message == " ".join(r.message for r in found.values())
    assert_chinese(together)


async def test_the_use_cases_refusals_are_said_in_chinese(
    deps: Deps, owner: Actor, member: Actor, outsider: Actor, application: Application
) -> None:
    samples = [
        await refused_async(access.for_member(deps, outsider, "acme-pos")),
        await refused_async(access.for_member(deps, outsider, application.id)),
        await refused_async(access.for_member(deps, owner, 0)),
        await refused_async(access.for_member(deps, owner, "no-such-app")),
        await refused_async(access.for_owner(deps, member, application.id, "rename")),
        await refused_async(
            access.for_owner(deps, member, application.id, credentials.OWNER_ACTION)
        ),
        await refused_async(access.archived_for_owner(deps, owner, "acme-pos")),
        await refused_async(steps.add_note(deps, owner, "acme-pos", "1.1", "  ")),
        await refused_async(steps.add_note(deps, owner, "acme-pos", "1.1", "x" * 5000)),
        await refused_async(settings.remove_contacts(deps, owner, "acme-pos", ["UBOB", "UDAN"])),
    ]
    for refusal in samples:
        assert_chinese(refusal)
    assert (
        samples[0].text(CHINESE).startswith("只有 <#CPAY> 的成员才能更改 *Acme POS* (`acme-pos`)")
    )
