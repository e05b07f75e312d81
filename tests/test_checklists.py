import re
import textwrap
from pathlib import Path

import pytest

import bot.checklists as checklists
from bot.checklists import (
    DEFAULT_TEMPLATE_KEY,
    Link,
    Template,
    TemplateError,
    available_templates,
    get_template,
    load_template_file,
)

SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "000_3ebd31284d6b09b3.txt"
BUILTIN = Path(checklists.__file__).resolve().parent / "alipay-instore-v1.toml"

# Step headings sit inside list items: "    1.  ### 1\. Sign up and log in ...".
STEP_HEADING = re.compile(r"### (\d+)\\\. (.+?)[ \t]*$", re.MULTILINE)
# Phase titles are setext headings: the title, then a line of dashes.
PHASE_HEADING = re.compile(r"^[ \t]*(\S[^\n]*?)[ \t]*\n[ \t]*-{3,}[ \t]*$", re.MULTILINE)
MD_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
COPY_RUN = 12


@pytest.fixture(autouse=True)
def _fresh_cache():
    get_template.cache_clear()
    yield
    get_template.cache_clear()


@pytest.fixture
def guide_text() -> str:
    if not SEED.is_file():
        pytest.skip(f"guide seed not found at {SEED}")
    return SEED.read_text(encoding="utf-8")


@pytest.fixture
def template() -> Template:
    return get_template()


def _word_runs(text: str, n: int = COPY_RUN) -> set[tuple[str, ...]]:
    words = WORD.findall(text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def _guide_steps(guide_text: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """(title, links) for each numbered step of the guide, in page order."""
    headings = list(STEP_HEADING.finditer(guide_text))
    end_of_steps = guide_text.index("#### Is this page helpful")
    steps = []
    for i, heading in enumerate(headings):
        end = headings[i + 1].start() if i + 1 < len(headings) else end_of_steps
        body = guide_text[heading.end() : end]
        steps.append((heading.group(2), MD_LINK.findall(body)))
    return steps


# --- the built-in template --------------------------------------------------------------


def test_builtin_shape(template):
    assert template.key == DEFAULT_TEMPLATE_KEY == "alipay-instore"
    assert template.version == 1
    assert template.guide_url == "https://global.alipay.com/docs/integration_guide_en"
    assert [p.number for p in template.phases] == [1, 2, 3, 4, 5]
    assert [len(p.steps) for p in template.phases] == [5, 5, 5, 3, 1]
    assert [p.title for p in template.phases] == [
        "Set up",
        "Integrate in sandbox",
        "Go live",
        "Conduct pilot testing",
        "Start your business",
    ]
    counts = [5, 5, 5, 3, 1]
    expected = [f"{p}.{n}" for p, count in enumerate(counts, 1) for n in range(1, count + 1)]
    assert [s.number for s in template.steps] == expected
    assert len(template.steps) == 19
    assert [s.position for s in template.steps] == list(range(19))
    assert all(s.phase == int(s.number.split(".")[0]) for s in template.steps)
    assert all(s.title and s.summary for s in template.steps)


def test_step_titles_match_guide(template, guide_text):
    guide = _guide_steps(guide_text)
    assert len(guide) == 18
    assert [s.title for s in template.steps[:18]] == [title for title, _ in guide]
    assert template.step("5.1").title == "Start your business"


def test_phase_titles_match_guide(template, guide_text):
    assert PHASE_HEADING.findall(guide_text) == [p.title for p in template.phases]


def test_links_match_guide(template, guide_text):
    guide = _guide_steps(guide_text)
    for step, (_, links) in zip(template.steps[:18], guide, strict=True):
        assert [(link.title, link.url) for link in step.links] == links, step.number
    assert template.step("2.3").links == (
        Link(
            "test wallet",
            "https://global.alipay.com/docs/ac/ref/testwallet",
            title_translations=(("zh-CN", "测试钱包"),),
        ),
    )
    assert template.step("5.1").links == ()


def test_every_link_is_https(template):
    links = [link for step in template.steps for link in step.links]
    assert links
    assert all(link.url.startswith("https://") for link in links)


def test_summaries_are_not_copied_from_guide(template, guide_text):
    guide_runs = _word_runs(guide_text)
    # The check itself must catch a copied sentence, or passing it proves nothing.
    copied = "Ensure the Alipay contract is signed before going live. Otherwise, your company"
    assert _word_runs(copied) & guide_runs
    for step in template.steps:
        shared = _word_runs(step.summary) & guide_runs
        assert not shared, f"{step.number} copies the guide: {' '.join(min(shared))!r}"


def test_summaries_are_short(template):
    for step in template.steps:
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", step.summary.strip()) if s]
        assert 1 <= len(sentences) <= 2, step.number


def test_sandbox_tools_are_mentioned(template):
    for tool in ("iMock", "iDiagnose", "iNotify"):
        assert tool in template.step("2.2").summary


def test_artifacts(template):
    assert {s.number: s.artifacts for s in template.steps if s.artifacts} == {
        "1.3": ("sandbox.client_id",),
        "1.4": ("sandbox.public_key", "sandbox.alipay_public_key"),
        "1.5": ("sandbox.notify_url",),
        "3.1": ("production.client_id",),
        "3.2": ("production.public_key", "production.alipay_public_key"),
    }


def test_lookups(template):
    assert template.step("3.4").title == "Launch the application"
    assert template.has_step("4.3")
    assert not template.has_step("9.9")
    assert not template.has_step("abc")
    assert template.index("1.1") == 0
    assert template.index("5.1") == 18
    assert template.phase(4).title == "Conduct pilot testing"
    with pytest.raises(KeyError, match=r"9\.9"):
        template.step("9.9")
    with pytest.raises(KeyError):
        template.phase(6)
    with pytest.raises(KeyError):
        template.phase(0)


def test_describe_valid_steps(template):
    assert template.describe_valid_steps() == "1.1–1.5, 2.1–2.5, 3.1–3.5, 4.1–4.3, 5.1"


def test_loading_the_file_directly_equals_get_template(template):
    assert load_template_file(BUILTIN) == template
    assert (DEFAULT_TEMPLATE_KEY, 1) in available_templates()


# --- caching ----------------------------------------------------------------------------


def test_get_template_caches(monkeypatch):
    loads = []
    real_load = checklists.load_template_file

    def counting_load(path):
        loads.append(path)
        return real_load(path)

    monkeypatch.setattr(checklists, "load_template_file", counting_load)
    first = get_template()
    assert get_template() is first
    assert get_template(DEFAULT_TEMPLATE_KEY, 1) is first
    assert get_template(DEFAULT_TEMPLATE_KEY) is first
    assert len(loads) == 1


def test_unknown_template():
    with pytest.raises(TemplateError, match="unknown checklist template 'nope'"):
        get_template("nope")
    with pytest.raises(TemplateError, match="no version 99"):
        get_template(DEFAULT_TEMPLATE_KEY, 99)


# --- broken files -----------------------------------------------------------------------


def _template_toml(phases: str, key: str = "custom", version: int = 1) -> str:
    header = f"""\
        key = "{key}"
        version = {version}
        title = "Custom"
        guide_url = "https://example.com/guide"
        """
    return textwrap.dedent(header) + textwrap.dedent(phases)


def _step(number: str, title: str | None = "A step", url: str = "https://example.com") -> str:
    title_line = f'title = "{title}"\n' if title is not None else ""
    return (
        f'[[phases.steps]]\nnumber = "{number}"\n{title_line}summary = "Do it."\n'
        f'links = [{{ title = "Docs", url = "{url}" }}]\n'
    )


def _phase(number: int, *steps: str, title: str = "Phase") -> str:
    return f'[[phases]]\nnumber = {number}\ntitle = "{title}"\n' + "".join(steps)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (_phase(1, _step("1.1"), _step("1.3")), "gap in step numbering: expected step 1.2"),
        (_phase(1, _step("1.1"), _step("1.1")), "duplicate step 1.1"),
        (_phase(1, _step("1.1"), _step("2.2")), "step 2.2 is listed under phase 1"),
        (_phase(1, _step("1.1")) + _phase(3, _step("3.1")), "gap in phase numbering"),
        (_phase(1, _step("1.1")) + _phase(1, _step("1.1")), "duplicate phase 1"),
        (_phase(1, _step("1.1", url="ftp://example.com/x")), "http(s) URL"),
        (_phase(1, _step("1.1", url="javascript:alert(1)")), "http(s) URL"),
        (_phase(1, _step("1.1", title=None)), "step 1.1: missing or empty 'title'"),
        (_phase(1, _step("1.1", title="  ")), "step 1.1: missing or empty 'title'"),
        (_phase(1, _step("1.1"), title=""), "phase 1: missing or empty 'title'"),
        (_phase(1), "phase 1 has no steps"),
        ("", "no phases"),
        ('[[phases]]\nnumber = 1\ntitle = "P"\n[[phases.steps]]\nnumber = 1.1\n', "quoted string"),
        (_phase(1, _step("1.1") + 'summry = "typo"\n'), "unknown field(s) 'summry'"),
        (_phase(1, _step("1.1") + "artifacts = [1]\n"), "'artifacts' must be a list"),
        ("this is = not [valid toml", "not valid TOML"),
    ],
)
def test_loader_rejects_broken_files(tmp_path, body, problem):
    path = tmp_path / "custom-v1.toml"
    path.write_text(_template_toml(body), encoding="utf-8")
    with pytest.raises(TemplateError) as excinfo:
        load_template_file(path)
    message = str(excinfo.value)
    assert str(path) in message
    assert problem in message


def test_loader_reports_missing_file(tmp_path):
    with pytest.raises(TemplateError, match="cannot read"):
        load_template_file(tmp_path / "absent-v1.toml")


# --- templates from ONBOARD_TEMPLATES_DIR -----------------------------------------------


def _big_template(version: int = 1) -> str:
    # 60 steps: 4 phases of 15, enough to push past any one-message-per-step assumptions.
    phases = "".join(
        _phase(p, *(_step(f"{p}.{n}", title=f"Step {p}.{n}") for n in range(1, 16)))
        for p in range(1, 5)
    )
    return _template_toml(phases, version=version)


def test_custom_template_from_env_dir(tmp_path, monkeypatch):
    (tmp_path / "custom-v1.toml").write_text(_big_template(), encoding="utf-8")
    monkeypatch.setenv("ONBOARD_TEMPLATES_DIR", str(tmp_path))

    custom = get_template("custom")
    assert len(custom.steps) == 60
    assert custom.step("4.15").position == 59
    assert custom.step("2.1").position == 15
    assert custom.describe_valid_steps() == "1.1–1.15, 2.1–2.15, 3.1–3.15, 4.1–4.15"
    assert ("custom", 1) in available_templates()
    assert (DEFAULT_TEMPLATE_KEY, 1) in available_templates()
    assert get_template() is get_template(DEFAULT_TEMPLATE_KEY)  # built-ins still found
    assert get_template("custom", 1) is custom


def test_latest_version_wins(tmp_path, monkeypatch):
    (tmp_path / "custom-v1.toml").write_text(_big_template(1), encoding="utf-8")
    (tmp_path / "custom-v2.toml").write_text(_big_template(2), encoding="utf-8")
    monkeypatch.setenv("ONBOARD_TEMPLATES_DIR", str(tmp_path))
    assert get_template("custom").version == 2
    assert get_template("custom", 1).version == 1


def test_file_name_must_match_contents(tmp_path, monkeypatch):
    (tmp_path / "other-v3.toml").write_text(_big_template(), encoding="utf-8")
    monkeypatch.setenv("ONBOARD_TEMPLATES_DIR", str(tmp_path))
    with pytest.raises(TemplateError, match="file name says other v3"):
        get_template("other")


def test_builtin_cannot_be_redefined(tmp_path, monkeypatch):
    (tmp_path / BUILTIN.name).write_bytes(BUILTIN.read_bytes())
    monkeypatch.setenv("ONBOARD_TEMPLATES_DIR", str(tmp_path))
    with pytest.raises(TemplateError, match="defined twice"):
        get_template()


def test_missing_env_dir_is_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("ONBOARD_TEMPLATES_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(TemplateError, match="ONBOARD_TEMPLATES_DIR"):
        get_template()
