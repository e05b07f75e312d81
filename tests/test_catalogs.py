"""The translation catalogs are complete and compiled: a new English message without its
translations, a fuzzy entry or a stale .mo fails the suite (`make messages` fixes the last)."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from bot.i18n import DOMAIN, ENGLISH, LANGUAGES, LOCALES_DIR

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
TRANSLATED = [code for code in LANGUAGES if code != ENGLISH]


def marked_in_code() -> set[str]:
    """Every message id marked in bot/ (`t._`, `t.ngettext`), as `make messages` extracts."""
    found = extract_from_dir(
        ROOT / "bot", method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=()
    )
    return {m[2] if isinstance(m[2], str) else m[2][0] for m in found}


def catalog(language: str, suffix: str):
    path = LOCALES_DIR / LANGUAGES[language] / "LC_MESSAGES" / f"{DOMAIN}.{suffix}"
    with path.open("rb") as f:
        return (read_po if suffix == "po" else read_mo)(f)


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_in_code_is_translated_and_none_is_fuzzy(language: str) -> None:
    po = catalog(language, "po")
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in po if m.id}
    assert sorted(marked_in_code() - ids) == [], "run `make messages` and translate"
    untranslated = [m.id for m in po if m.id and not _translated(m.string)]
    assert untranslated == []
    assert [m.id for m in po if m.id and m.fuzzy] == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalog_is_the_po_file(language: str) -> None:
    po, mo = catalog(language, "po"), catalog(language, "mo")
    assert _entries(po) == _entries(mo), "run `make messages`"


def _entries(catalog) -> dict:
    """id -> string; a plural's as tuples (read_mo gives lists, read_po tuples)."""
    return {_tupled(m.id): _tupled(m.string) for m in catalog if m.id}


def _tupled(value: str | list[str] | tuple[str, ...]) -> str | tuple[str, ...]:
    return value if isinstance(value, str) else tuple(value)


def _translated(string: str | tuple[str, ...]) -> bool:
    return all(string) if isinstance(string, tuple) else bool(string)
