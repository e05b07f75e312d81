"""Frozen dataclasses to and from JSON-ready dicts, field by field, guided by their type hints.

The field types it knows: str, int, bool, date and datetime (as ISO 8601 strings), `X | None`,
`tuple[X, ...]` (as a list) and another such dataclass (as an object). Reading checks every
value against its field's type and raises UnreadablePayload, naming where, for a missing field
(one with a default may be missing) or a wrong value; keys the class has no field for are
ignored.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from datetime import date, datetime
from typing import Any, TypeVar

T = TypeVar("T")


class UnreadablePayload(ValueError):
    """A payload that does not make the message its kind says it is."""


def to_json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [to_json(v) for v in value]
    if isinstance(value, date):  # a datetime is a date too
        return value.isoformat()
    return value


def from_json(cls: type[T], data: Any, where: str = "payload") -> T:
    if not isinstance(data, dict):
        raise UnreadablePayload(f"{where}: expected an object, got {type(data).__name__}")
    hints = _hints(cls)
    values = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in data:
            values[f.name] = _read(hints[f.name], data[f.name], f"{where}.{f.name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise UnreadablePayload(f"{where}: missing {f.name!r}")
    return cls(**values)


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _read(hint: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        (inner,) = (o for o in options if o is not type(None))
        return _read(inner, value, where)
    if origin is tuple:
        item, _ = typing.get_args(hint)
        if not isinstance(value, list):
            raise _wrong(where, "a list", value)
        return tuple(_read(item, v, f"{where}[{i}]") for i, v in enumerate(value))
    if dataclasses.is_dataclass(hint):
        return from_json(hint, value, where)
    if hint in (date, datetime):
        if not isinstance(value, str):
            raise _wrong(where, "an ISO date", value)
        try:
            return hint.fromisoformat(value)
        except ValueError as e:
            raise UnreadablePayload(f"{where}: {e}") from None
    if hint in (str, int, bool):
        # bool is an int to Python, but true or false where a number belongs is damage.
        if isinstance(value, hint) and not (hint is int and isinstance(value, bool)):
            return value
        raise _wrong(where, hint.__name__, value)
    raise TypeError(f"{where}: no JSON form for {hint!r}")


def _wrong(where: str, expected: str, value: Any) -> UnreadablePayload:
    return UnreadablePayload(f"{where}: expected {expected}, got {type(value).__name__}")
