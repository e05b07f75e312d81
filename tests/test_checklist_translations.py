"""The checklist in Simplified Chinese: translations in template files, English fallback."""

from __future__ import annotations

import re
import textwrap
import unicodedata
from pathlib import Path

import pytest

import bot.checklists as checklists
from bot.blocks.checklist import MAX_HEADING_TITLE, MAX_OPTION_TEXT, MAX_STEP_TITLE
from bot.blocks.modals import MAX_TEXT as MAX_MODAL_TEXT
from bot.checklists import Template, TemplateError, get_template, load_template_file
from bot.i18n import ENGLISH, LANGUAGES
from tests.i18n_checks import english_runs

ZH = "zh-CN"
BUILTIN = Path(checklists.__file__).resolve().parent / "alipay-instore-v1.toml"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def _fresh_cache():
    get_template.cache_clear()
    yield
    get_template.cache_clear()


@pytest.fixture
def template() -> Template:
    return get_template()


def _chinese(text: str) -> bool:
    return bool(CJK.search(text)) and not english_runs(text)


def _width(text: str) -> int:
    """Columns on screen: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


# --- the built-in template --------------------------------------------------------------


def test_every_step_and_phase_has_a_chinese_title_and_summary(template):
    assert _chinese(template.title_in(ZH))
    for phase in template.phases:
        assert dict(phase.title_translations).keys() == {ZH}, phase.number
        assert _chinese(phase.title_in(ZH)), phase.number
    for step in template.steps:
        assert dict(step.title_translations).keys() == {ZH}, step.number
        assert dict(step.summary_translations).keys() == {ZH}, step.number
        assert _chinese(step.title_in(ZH)), step.number
        assert _chinese(step.summary_in(ZH)), step.number
    assert len(template.steps) == 19
    assert len(template.phases) == 5


def test_chinese_uses_alipays_terms(template):
    def zh(number: str) -> str:
        step = template.step(number)
        return step.title_in(ZH) + step.summary_in(ZH)

    assert template.step("1.3").title_in(ZH) == "获取沙箱客户端 ID"
    assert "公钥" in zh("1.4")
    assert template.step("1.5").title_in(ZH) == "设置通知地址"
    assert "生产环境客户端 ID" in zh("3.1")
    assert "上线" in zh("3.4") and "生产环境" in zh("3.4")
    assert "沙箱客户端 ID" in zh("3.5")
    assert [p.title_in(ZH) for p in template.phases] == [
        "准备工作",
        "沙箱集成",
        "上线",
        "试点测试",
        "开展业务",
    ]
    for tool in ("iMock", "iDiagnose", "iNotify"):
        assert tool in template.step("2.2").summary_in(ZH)


def test_chinese_summaries_are_short(template):
    for step in template.steps:
        sentences = [s for s in re.split(r"(?<=[。！？])", step.summary_in(ZH)) if s.strip()]
        assert 1 <= len(sentences) <= 2, step.number
        assert sentences[-1].endswith("。"), step.number


def test_english_is_unchanged_and_the_default(template):
    step = template.step("3.4")
    assert step.title == "Launch the application"
    for language in (ENGLISH, None, "fr", "zh-TW"):
        assert step.title_in(language) == "Launch the application"
        assert step.summary_in(language) == step.summary
        assert template.phase(3).title_in(language) == "Go live"
        assert template.title_in(language) == "Alipay in-store payment"
    assert step.title_in(ZH) == "上线应用"
    assert template.title_in(ZH) == "支付宝线下支付"


def test_link_titles(template):
    (developer_center,) = template.step("1.1").links
    assert developer_center.title_in(ZH) == "支付宝全球合作伙伴开发者中心"
    assert developer_center.title_in(ENGLISH) == "Alipay Global Partner Developer Center"
    # iTest is a product name: it has no translation, and falls back to itself.
    (itest,) = template.step("2.1").links
    assert itest.title_translations == ()
    assert itest.title_in(ZH) == "iTest"
    assert [link.title_in(ZH) for link in template.step("2.2").links] == ["支付宝 SDK", "工具"]


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_titles_fit_where_they_are_shown(template, language):
    for phase in template.phases:
        assert len(phase.title_in(language)) <= MAX_HEADING_TITLE
    for step in template.steps:
        title = step.title_in(language)
        assert len(title) <= MAX_STEP_TITLE
        # The step picker's option "3.4 Launch the application" is never cut short.
        assert len(f"{step.number} {title}") <= MAX_OPTION_TEXT, step.number
        # The step-details modal: heading and summary in one section.
        assert len(f"*{step.number} {title}*\n{step.summary_in(language)}") <= MAX_MODAL_TEXT


def test_chinese_titles_take_no_more_room_than_english_ones(template):
    # Slack counts characters, but a Chinese character is twice as wide on screen: the
    # longest Chinese title must still fit the room the longest English one already takes.
    longest_english = max(_width(s.title) for s in template.steps)
    longest_chinese = max(template.steps, key=lambda s: _width(s.title_in(ZH)))
    assert _width(longest_chinese.title_in(ZH)) <= longest_english, longest_chinese.number


def test_translations_keep_steps_hashable_and_comparable(template):
    again = load_template_file(BUILTIN)
    assert again == template
    assert hash(again.step("1.1")) == hash(template.step("1.1"))
    assert again.step("1.1") != template.step("1.2")


# --- templates written by operators -----------------------------------------------------


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "custom-v1.toml"
    header = """\
        key = "custom"
        version = 1
        title = "Custom"
        guide_url = "https://example.com/guide"
        """
    path.write_text(textwrap.dedent(header) + textwrap.dedent(body), encoding="utf-8")
    return path


PARTLY_TRANSLATED = """\
    [[phases]]
    number = 1
    title.en = "Prepare"
    title.zh-CN = "准备"

    [[phases.steps]]
    number = "1.1"
    title.en = "Get sandbox client ID"
    title.zh-CN = "获取沙箱客户端 ID"
    summary = "Copy it from the Developer Center."

    [[phases.steps]]
    number = "1.2"
    title = "Set notification URL"
    summary.en = "Register where notifications go."
    summary.zh-CN = "登记接收通知的地址。"
    links = [{ title = "Docs", url = "https://example.com/docs" }]

    [[phases]]
    number = 2
    title = "Go live"

    [[phases.steps]]
    number = "2.1"
    title = "Launch"
    summary = "Press Launch."
    """


def test_a_missing_translation_falls_back_to_english(tmp_path):
    template = load_template_file(_write(tmp_path, PARTLY_TRANSLATED))
    one, two, launch = template.steps

    assert one.title_in(ZH) == "获取沙箱客户端 ID"
    assert one.summary_in(ZH) == "Copy it from the Developer Center."  # no summary.zh-CN
    assert two.title_in(ZH) == "Set notification URL"  # a plain `title = "…"`
    assert two.summary_in(ZH) == "登记接收通知的地址。"
    assert two.links[0].title_in(ZH) == "Docs"
    assert (launch.title_in(ZH), launch.summary_in(ZH)) == ("Launch", "Press Launch.")
    assert [p.title_in(ZH) for p in template.phases] == ["准备", "Go live"]
    assert template.title_in(ZH) == "Custom"
    # English readers see the English texts whichever way they were written.
    assert [s.title_in(ENGLISH) for s in template.steps] == [
        "Get sandbox client ID",
        "Set notification URL",
        "Launch",
    ]
    assert two.summary == "Register where notifications go."


def _one_step(**fields: str) -> str:
    """A one-step phase; `fields` are TOML lines for the step, by any name."""
    lines = {"title": 'title = "A step"', "summary": 'summary = "Do it."', **fields}
    return '[[phases]]\nnumber = 1\ntitle = "Phase"\n[[phases.steps]]\nnumber = "1.1"\n' + (
        "\n".join(lines.values()) + "\n"
    )


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (
            _one_step(title='title.en = "A"\ntitle.zh_CN = "一"'),
            "step 1.1: title.zh_CN: unknown language; a translation is written "
            'title.<language> = "…" with a language among en, zh-CN',
        ),
        (
            _one_step(summary='summary.en = "A"\nsummary.fr = "Un"\nsummary.zh-TW = "一"'),
            "step 1.1: summary.fr, summary.zh-TW: unknown language",
        ),
        (
            _one_step(title='title.zh-CN = "一"'),
            "step 1.1: 'title' has translations but no English text; add title.en = \"…\"",
        ),
        (_one_step(title='title.en = "A"\ntitle.zh-CN = "  "'), "'title.zh-CN' must be non-empty"),
        (_one_step(summary='summary.en = "A"\nsummary.zh-CN = 3'), "'summary.zh-CN' must be"),
        (_one_step(title='title.en = ""\ntitle.zh-CN = "一"'), "'title.en' must be non-empty"),
        (
            _one_step(links='links = [{ title.en = "D", title.zh = "文", url = "https://e.com" }]'),
            "step 1.1, link 1: title.zh: unknown language",
        ),
        (
            '[[phases]]\nnumber = 1\ntitle.en = "P"\ntitle.ja = "P"\n'
            '[[phases.steps]]\nnumber = "1.1"\ntitle = "A"\nsummary = "B"\n',
            "phase 1: title.ja: unknown language",
        ),
        (
            _one_step(title='title = "A"\ntitle.zh-CN = "一"'),
            "not valid TOML: Cannot overwrite a value (at line 11, column 18); a key is set "
            'twice, or a text is given as `title = "…"` and also has translations: write '
            '`title.en = "…"` beside `title.zh-CN = "…"`',
        ),
        (_one_step(titel='titel.zh-CN = "一"'), "step 1.1: unknown field(s) 'titel'"),
    ],
)
def test_loader_rejects_bad_translations(tmp_path, body, problem):
    path = _write(tmp_path, body)
    with pytest.raises(TemplateError) as excinfo:
        load_template_file(path)
    assert str(path) in str(excinfo.value)
    assert problem in str(excinfo.value)


def test_a_bad_top_level_translation_is_reported(tmp_path):
    path = tmp_path / "custom-v1.toml"
    path.write_text(
        'key = "custom"\nversion = 1\ntitle.en = "C"\ntitle.cn = "中"\n'
        'guide_url = "https://example.com"\n' + _one_step(),
        encoding="utf-8",
    )
    with pytest.raises(TemplateError, match=r"top level: title\.cn: unknown language"):
        load_template_file(path)
