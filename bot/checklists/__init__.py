"""Checklist templates: integration guides kept as TOML data, loaded into immutable objects.

A template lives in a file named ``<key>-v<version>.toml``. The built-in ones sit beside this
module. Operators can add their own (say, Alipay's online-payment guide) by setting the
environment variable ``ONBOARD_TEMPLATES_DIR`` to a directory of such files; it is read when a
template is first looked up. A key and version must be defined in one place only, since an
application keeps the version it was created with and must always get the same checklist back.

File layout (see ``alipay-instore-v1.toml``)::

    key, version, title, guide_url
    [[phases]]        number (1, 2, …), title
    [[phases.steps]]  number ("<phase>.<n>"), title, summary, links = [{title, url}],
                      artifacts = ["sandbox.client_id", …] (optional)

Every title and summary is either English text (``title = "Create an application"``) or a
table of texts by language, English required, the others optional::

    title.en = "Create an application"
    title.zh-CN = "创建应用"

Languages are the codes of ``bot.i18n.LANGUAGES``. ``Step.title_in(language)`` and the other
``*_in`` methods give a text in a language, or the English one where it has no translation.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.i18n import ENGLISH, LANGUAGES
from bot.outbox_messages import BusinessStart, GoLive

__all__ = [
    "DEFAULT_TEMPLATE_KEY",
    "Link",
    "Phase",
    "Step",
    "Template",
    "TemplateError",
    "Translations",
    "available_templates",
    "get_template",
    "load_template_file",
]

DEFAULT_TEMPLATE_KEY = "alipay-instore"
TEMPLATES_DIR_ENV = "ONBOARD_TEMPLATES_DIR"

_BUILTIN_DIR = Path(__file__).resolve().parent
_FILE_NAME = re.compile(r"(?P<key>[a-z0-9][a-z0-9_-]*)-v(?P<version>[1-9][0-9]*)\.toml")
_STEP_NUMBER = re.compile(r"([1-9][0-9]*)\.([1-9][0-9]*)")


# A step's `announces` is the kind of outbox message that marking it sends.
ANNOUNCEMENTS = (GoLive.KIND, BusinessStart.KIND)
GATES = ("production-credentials",)


class TemplateError(ValueError):
    """A template is missing, unknown, or its file is malformed."""


# Translations of one text: (language, text) pairs for languages other than English, sorted by
# language. A tuple rather than a dict keeps the dataclasses hashable and comparable.
Translations = tuple[tuple[str, str], ...]


def _in(translations: Translations, language: str | None, english: str) -> str:
    for code, text in translations:
        if code == language:
            return text
    return english


@dataclass(frozen=True, slots=True)
class Link:
    title: str
    url: str
    title_translations: Translations = ()

    def title_in(self, language: str | None) -> str:
        """The link's title in `language`, or the English one when it has no translation."""
        return _in(self.title_translations, language, self.title)


@dataclass(frozen=True, slots=True)
class Step:
    number: str
    phase: int
    position: int  # 0-based, across the whole template
    title: str
    summary: str
    links: tuple[Link, ...] = ()
    artifacts: tuple[str, ...] = ()
    # What marking the step announces: "go-live" to the channel, "business-start" to the
    # Alipay contacts. None for most steps.
    announces: str | None = None
    # A condition checked before the step may be marked: "production-credentials".
    gate: str | None = None
    title_translations: Translations = ()
    summary_translations: Translations = ()

    def title_in(self, language: str | None) -> str:
        """The step's title in `language`, or the English one when it has no translation."""
        return _in(self.title_translations, language, self.title)

    def summary_in(self, language: str | None) -> str:
        """The step's summary in `language`, or the English one when it has no translation."""
        return _in(self.summary_translations, language, self.summary)


@dataclass(frozen=True, slots=True)
class Phase:
    number: int
    title: str
    steps: tuple[Step, ...]
    title_translations: Translations = ()

    def title_in(self, language: str | None) -> str:
        """The phase's title in `language`, or the English one when it has no translation."""
        return _in(self.title_translations, language, self.title)


@dataclass(frozen=True)
class Template:
    key: str
    version: int
    title: str
    guide_url: str
    phases: tuple[Phase, ...]
    title_translations: Translations = ()
    steps: tuple[Step, ...] = field(init=False, repr=False, compare=False)
    _by_number: dict[str, Step] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Validating here rather than only in the file parser means a Template built in code
        # (tests, future importers) can't break the numbering that commands and storage rely on.
        _check_numbering(self.phases)
        steps = tuple(step for phase in self.phases for step in phase.steps)
        object.__setattr__(self, "steps", steps)
        object.__setattr__(self, "_by_number", {step.number: step for step in steps})

    def title_in(self, language: str | None) -> str:
        """The template's title in `language`, or the English one when it has no translation."""
        return _in(self.title_translations, language, self.title)

    def step(self, number: str) -> Step:
        try:
            return self._by_number[number]
        except KeyError:
            raise KeyError(
                f"{number!r} is not a step of {self.key} v{self.version}; "
                f"valid steps: {self.describe_valid_steps()}"
            ) from None

    def has_step(self, number: str) -> bool:
        return number in self._by_number

    def index(self, number: str) -> int:
        return self.step(number).position

    def phase(self, number: int) -> Phase:
        if isinstance(number, int) and 1 <= number <= len(self.phases):
            return self.phases[number - 1]
        raise KeyError(
            f"{self.key} v{self.version} has phases 1–{len(self.phases)}, not {number!r}"
        )

    def describe_valid_steps(self) -> str:
        ranges = []
        for phase in self.phases:
            first, last = phase.steps[0].number, phase.steps[-1].number
            ranges.append(first if first == last else f"{first}–{last}")
        return ", ".join(ranges)


def _check_numbering(phases: tuple[Phase, ...]) -> None:
    if not phases:
        raise TemplateError("the template has no phases")
    position = 0
    for expected_phase, phase in enumerate(phases, start=1):
        if phase.number != expected_phase:
            problem = (
                f"duplicate phase {phase.number}"
                if 1 <= phase.number < expected_phase
                else "gap in phase numbering"
            )
            raise TemplateError(
                f"{problem}: expected phase {expected_phase}, found {phase.number} "
                f"(phases are numbered 1, 2, 3, …)"
            )
        if not phase.steps:
            raise TemplateError(f"phase {phase.number} has no steps")
        for n, step in enumerate(phase.steps, start=1):
            expected = f"{phase.number}.{n}"
            if step.number != expected:
                if not step.number.startswith(f"{phase.number}."):
                    problem = f"step {step.number} is listed under phase {phase.number}"
                elif any(s.number == step.number for s in phase.steps[: n - 1]):
                    problem = f"duplicate step {step.number}"
                else:
                    problem = "gap in step numbering"
                raise TemplateError(
                    f"{problem}: expected step {expected}, found {step.number!r} "
                    f"(steps are numbered <phase>.1, <phase>.2, … inside each phase)"
                )
            if step.phase != phase.number or step.position != position:
                raise TemplateError(
                    f"step {step.number} says phase {step.phase}, position {step.position}; "
                    f"expected phase {phase.number}, position {position}"
                )
            position += 1


# --- reading files ------------------------------------------------------------------------


def _text(table: dict[str, Any], name: str, where: str) -> str:
    value = table.get(name)
    if not isinstance(value, str) or not value.strip():
        raise TemplateError(f"{where}: missing or empty {name!r}")
    return value.strip()


def _translatable(table: dict[str, Any], name: str, where: str) -> tuple[str, Translations]:
    """The English text of a field and its translations: `name = "…"`, or `name.en = "…"`
    with `name.zh-CN = "…"` and the like beside it."""
    value = table.get(name)
    if not isinstance(value, dict):
        return _text(table, name, where), ()
    languages = ", ".join(LANGUAGES)
    unknown = sorted(set(value) - set(LANGUAGES))
    if unknown:
        listed = ", ".join(f"{name}.{code}" for code in unknown)
        raise TemplateError(
            f"{where}: {listed}: unknown language; a translation is written "
            f'{name}.<language> = "…" with a language among {languages}'
        )
    if ENGLISH not in value:
        raise TemplateError(
            f'{where}: {name!r} has translations but no English text; add {name}.{ENGLISH} = "…"'
        )
    for code in value:
        text = value[code]
        if not isinstance(text, str) or not text.strip():
            raise TemplateError(f"{where}: '{name}.{code}' must be non-empty text")
    translations = tuple(
        sorted((code, text.strip()) for code, text in value.items() if code != ENGLISH)
    )
    return value[ENGLISH].strip(), translations


def _only_known(table: dict[str, Any], known: set[str], where: str) -> None:
    # Typos such as "summry" would otherwise silently drop data.
    unknown = sorted(set(table) - known)
    if unknown:
        raise TemplateError(f"{where}: unknown field(s) {', '.join(map(repr, unknown))}")


def _table_list(table: dict[str, Any], name: str, where: str) -> list[dict[str, Any]]:
    value = table.get(name, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise TemplateError(f"{where}: {name!r} must be a list of tables")
    return value


def _link(raw: dict[str, Any], where: str) -> Link:
    _only_known(raw, {"title", "url"}, where)
    url = _text(raw, "url", where)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise TemplateError(f"{where}: link url must be an http(s) URL, got {url!r}")
    title, title_translations = _translatable(raw, "title", where)
    return Link(title=title, url=url, title_translations=title_translations)


def _step(raw: dict[str, Any], phase: int, position: int, where: str) -> Step:
    number = raw.get("number")
    if not isinstance(number, str) or not _STEP_NUMBER.fullmatch(number):
        # An unquoted 1.1 is a TOML float and would turn 1.10 into 1.1.
        raise TemplateError(
            f'{where}: step number must be a quoted string like "1.1", got {number!r}'
        )
    where = f"step {number}"
    _only_known(
        raw, {"number", "title", "summary", "links", "artifacts", "announces", "gate"}, where
    )
    gate = raw.get("gate")
    if gate is not None and gate not in GATES:
        raise TemplateError(f"{where}: 'gate' must be one of {', '.join(GATES)}, got {gate!r}")
    announces = raw.get("announces")
    if announces is not None and announces not in ANNOUNCEMENTS:
        raise TemplateError(
            f"{where}: 'announces' must be one of {', '.join(ANNOUNCEMENTS)}, got {announces!r}"
        )
    artifacts = raw.get("artifacts", [])
    if not isinstance(artifacts, list) or not all(isinstance(a, str) and a for a in artifacts):
        raise TemplateError(f"{where}: 'artifacts' must be a list of non-empty strings")
    if len(set(artifacts)) != len(artifacts):
        raise TemplateError(f"{where}: duplicate artifact in {artifacts!r}")
    title, title_translations = _translatable(raw, "title", where)
    summary, summary_translations = _translatable(raw, "summary", where)
    return Step(
        number=number,
        phase=phase,
        position=position,
        title=title,
        summary=summary,
        title_translations=title_translations,
        summary_translations=summary_translations,
        links=tuple(
            _link(link, f"{where}, link {i}")
            for i, link in enumerate(_table_list(raw, "links", where), start=1)
        ),
        artifacts=tuple(artifacts),
        announces=announces,
        gate=gate,
    )


def _template(data: dict[str, Any]) -> Template:
    _only_known(data, {"key", "version", "title", "guide_url", "phases"}, "top level")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise TemplateError(f"'version' must be a positive integer, got {version!r}")
    phases = []
    position = 0
    for i, raw_phase in enumerate(_table_list(data, "phases", "top level"), start=1):
        number = raw_phase.get("number")
        if isinstance(number, bool) or not isinstance(number, int):
            raise TemplateError(f"phase #{i}: 'number' must be an integer, got {number!r}")
        where = f"phase {number}"
        _only_known(raw_phase, {"number", "title", "steps"}, where)
        steps = []
        for raw_step in _table_list(raw_phase, "steps", where):
            steps.append(_step(raw_step, number, position, where))
            position += 1
        title, title_translations = _translatable(raw_phase, "title", where)
        phases.append(
            Phase(
                number=number,
                title=title,
                steps=tuple(steps),
                title_translations=title_translations,
            )
        )
    guide_url = _text(data, "guide_url", "top level")
    if urlsplit(guide_url).scheme not in ("http", "https"):
        raise TemplateError(f"'guide_url' must be an http(s) URL, got {guide_url!r}")
    title, title_translations = _translatable(data, "title", "top level")
    return Template(
        key=_text(data, "key", "top level"),
        version=version,
        title=title,
        guide_url=guide_url,
        phases=tuple(phases),
        title_translations=title_translations,
    )


def load_template_file(path: Path) -> Template:
    """Parse and validate one template file; any problem raises TemplateError naming the file."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            return _template(tomllib.load(f))
    except OSError as e:
        raise TemplateError(f"{path}: cannot read template: {e.strerror or e}") from e
    except tomllib.TOMLDecodeError as e:
        hint = ""
        if "overwrite a value" in str(e):
            # Most often `title = "…"` followed by `title.zh-CN = "…"`: TOML cannot make one
            # key both a text and a table.
            hint = (
                '; a key is set twice, or a text is given as `title = "…"` and also has '
                'translations: write `title.en = "…"` beside `title.zh-CN = "…"`'
            )
        raise TemplateError(f"{path}: not valid TOML: {e}{hint}") from e
    except TemplateError as e:
        raise TemplateError(f"{path}: {e}") from e


# --- finding templates --------------------------------------------------------------------


def _search_dirs() -> list[Path]:
    dirs = [_BUILTIN_DIR]
    extra = os.environ.get(TEMPLATES_DIR_ENV, "").strip()
    if extra:
        dirs.append(Path(extra).expanduser())
    return dirs


def _index() -> dict[tuple[str, int], Path]:
    found: dict[tuple[str, int], Path] = {}
    for directory in _search_dirs():
        if not directory.is_dir():
            if directory != _BUILTIN_DIR:
                raise TemplateError(f"{TEMPLATES_DIR_ENV}={directory} is not a directory")
            continue
        for path in sorted(directory.glob("*.toml")):
            match = _FILE_NAME.fullmatch(path.name)
            if not match:
                continue
            ident = (match["key"], int(match["version"]))
            if ident in found and found[ident].resolve() != path.resolve():
                raise TemplateError(
                    f"template {ident[0]} v{ident[1]} is defined twice: {found[ident]} and {path}"
                )
            found[ident] = path
    return found


def available_templates() -> list[tuple[str, int]]:
    """Every (key, version) that get_template can load, sorted."""
    return sorted(_index())


@cache  # unbounded lru_cache: eviction would re-parse and hand out a second object
def get_template(key: str = DEFAULT_TEMPLATE_KEY, version: int | None = None) -> Template:
    """The template ``key`` at ``version`` (the latest when None), parsed once per process.

    Call ``get_template.cache_clear()`` after changing ONBOARD_TEMPLATES_DIR or its files.
    """
    index = _index()
    versions = sorted(v for k, v in index if k == key)
    if not versions:
        known = ", ".join(sorted({k for k, _ in index})) or "none"
        raise TemplateError(f"unknown checklist template {key!r}; available: {known}")
    if version is None:
        # Going through the cache with the explicit version makes get_template(key) and
        # get_template(key, latest) the same object, parsed once.
        return get_template(key, versions[-1])
    if version not in versions:
        listed = ", ".join(f"v{v}" for v in versions)
        raise TemplateError(f"template {key!r} has no version {version!r}; available: {listed}")
    path = index[(key, version)]
    template = load_template_file(path)
    if (template.key, template.version) != (key, version):
        raise TemplateError(
            f"{path}: file name says {key} v{version} but the file declares "
            f"{template.key} v{template.version}"
        )
    return template
