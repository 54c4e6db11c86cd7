"""Reading typed values out of a stored JSON object, refusing anything of the wrong type.

A stored line can be written by another program, so its values are checked, never coerced: a
wrong type raises ValueError naming the field's path (``stage_events[0].duration_ms``), and a
missing required field raises KeyError with that path.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from domain.timefmt import parse_timestamp

Choice = TypeVar("Choice", bound=StrEnum)

_MISSING: Any = object()
_INT64 = 1 << 63  # integers beyond 64 bits are not portable JSON (SQLite, DuckDB, orjson refuse them)


def _is_int64(value: Any) -> bool:
    return type(value) is int and -_INT64 <= value < _INT64


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class Payload:
    """One JSON object of a stored record; ``where`` is its path inside the record ('' at the top)."""

    __slots__ = ("_data", "_where")

    def __init__(self, data: Any, where: str = "") -> None:
        if not isinstance(data, Mapping):
            raise ValueError(f"{where or 'the record'} must be an object, got {_shown(data)}")
        self._data: Mapping[str, Any] = data
        self._where = where

    def path(self, key: str) -> str:
        return f"{self._where}.{key}" if self._where else key

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        value = self._data.get(key, default)
        if value is _MISSING:
            raise KeyError(self.path(key))
        return value

    def _wrong(self, key: str, kind: str, value: Any) -> ValueError:
        return ValueError(f"{self.path(key)} must be {kind}, got {_shown(value)}")

    def text(self, key: str, default: Any = _MISSING) -> str:
        """Non-empty text."""
        value = self.raw(key, default)
        if type(value) is not str or not value:
            raise self._wrong(key, "non-empty text", value)
        return value

    def optional_text(self, key: str) -> str | None:
        value = self._data.get(key)
        if value is not None and type(value) is not str:
            raise self._wrong(key, "text or null", value)
        return value

    def integer(self, key: str, default: Any = _MISSING) -> int:
        """A 64-bit integer."""
        value = self.raw(key, default)
        if not _is_int64(value):
            raise self._wrong(key, "a 64-bit integer", value)
        return int(value)

    def optional_integer(self, key: str) -> int | None:
        value = self._data.get(key)
        if value is not None and not _is_int64(value):
            raise self._wrong(key, "a 64-bit integer or null", value)
        return value

    def member(self, key: str, kind: type[Choice]) -> Choice:
        """One of the values of the text enumeration ``kind``."""
        value = self.raw(key)
        if type(value) is not str or value not in kind._value2member_map_:
            raise self._wrong(key, "one of " + ", ".join(kind), value)
        return kind(value)

    def optional_time(self, key: str) -> datetime | None:
        """An ISO-8601 time; null or empty text is no time."""
        value = self._data.get(key)
        if value is None or value == "":
            return None
        try:
            if type(value) is not str:
                raise ValueError
            return parse_timestamp(value)
        except ValueError:
            raise self._wrong(key, "an ISO-8601 time or null", value) from None

    def texts(self, key: str) -> tuple[str, ...]:
        """A list of non-empty texts."""
        value = self.raw(key)
        if type(value) is not list or not all(type(item) is str and item for item in value):
            raise self._wrong(key, "a list of non-empty texts", value)
        return tuple(value)

    def objects(self, key: str) -> Iterator[Payload]:
        """Each item of a list of objects."""
        value = self.raw(key)
        if type(value) is not list:
            raise self._wrong(key, "a list", value)
        for index, item in enumerate(value):
            yield Payload(item, f"{self.path(key)}[{index}]")

    def object(self, key: str) -> Payload:
        return Payload(self.raw(key), self.path(key))

    def mapping(self, key: str, *, optional: bool = False) -> dict[str, Any]:
        """A JSON object as a dict; with ``optional``, a missing or null one is empty."""
        value = self._data.get(key) if optional else self.raw(key)
        if optional and value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self._wrong(key, "an object" + (" or null" if optional else ""), value)
        return dict(value)
