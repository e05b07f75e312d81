"""Listeners only translate: none reads or writes storage itself, and each stays short enough
to read at a glance (the rules live in bot/usecases/ and bot/services/)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

LISTENERS = Path(__file__).resolve().parents[2] / "bot" / "listeners"
FILES = sorted(LISTENERS.rglob("*.py"))
MAX_LINES = 120


def _imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(LISTENERS)) for p in FILES])
def test_a_listener_imports_no_storage_and_stays_short(path: Path) -> None:
    storage = {m for m in _imported_modules(path) if m == "storage" or m.startswith("storage.")}
    assert storage == set(), f"{path.name} imports {storage}: call a use case instead"
    assert len(path.read_text().splitlines()) <= MAX_LINES
