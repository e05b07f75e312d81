"""Every `Refusal` raised in bot/ takes a marked message (so `make messages` extracts it and
the reader sees it in their language): an `N_(...)` call, a name or table bound to them, or a
message already translated with `t._(...)`. An f-string or a plain string fails, listed."""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parents[1] / "bot"


def _is_marked_call(node: ast.expr) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (isinstance(func, ast.Name) and func.id == "N_") or (
        isinstance(func, ast.Attribute) and func.attr == "_"
    )


def _name_of(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def marked_names(trees: list[ast.Module]) -> set[str]:
    """Names assigned an `N_(...)` message, or a dict whose every value is one."""
    found = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                value = node.value
                marked = _is_marked_call(value) or (
                    isinstance(value, ast.Dict)
                    and bool(value.values)
                    and all(_is_marked_call(v) for v in value.values)
                )
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if marked and (name := _name_of(target)):
                        found.add(name)
    return found


def is_marked(node: ast.expr, names: set[str]) -> bool:
    if _is_marked_call(node):
        return True
    if isinstance(node, ast.Name | ast.Attribute):
        return _name_of(node) in names
    if isinstance(node, ast.IfExp):
        return is_marked(node.body, names) and is_marked(node.orelse, names)
    if isinstance(node, ast.Subscript):  # a table of messages
        return _name_of(node.value) in names
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        # table.get(key, default): both from marked tables/messages
        return (
            node.func.attr == "get"
            and _name_of(node.func.value) in names
            and all(is_marked(a, names) for a in node.args[1:])
        )
    return False


def unmarked_refusals(sources: dict[str, str]) -> list[str]:
    """`file:line` of every `Refusal(...)` whose first argument is not a marked message."""
    trees = {path: ast.parse(text) for path, text in sources.items()}
    names = marked_names(list(trees.values()))
    found = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            is_refusal = isinstance(node, ast.Call) and _name_of(node.func) == "Refusal"
            if is_refusal and (not node.args or not is_marked(node.args[0], names)):
                found.append(f"{path}:{node.lineno}")
    return found


def test_every_refusal_in_the_code_base_takes_a_marked_message() -> None:
    sources = {
        str(path.relative_to(BOT.parent)): path.read_text(encoding="utf-8")
        for path in sorted(BOT.rglob("*.py"))
    }
    assert sum(text.count("Refusal(") for text in sources.values()) > 60
    assert unmarked_refusals(sources) == []


def test_the_scan_finds_an_unmarked_refusal() -> None:
    source = (
        'GONE = N_("Gone.")\n'
        "raise Refusal(GONE)\n"
        'raise Refusal(N_("No step `{ref}`."), ref=ref)\n'
        'raise Refusal(f"No step `{ref}`.")\n'
        'raise Refusal("Plain.")\n'
        "raise Refusal(message)\n"
    )
    assert unmarked_refusals({"x.py": source}) == ["x.py:4", "x.py:5", "x.py:6"]
