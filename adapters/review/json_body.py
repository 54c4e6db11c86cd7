"""parse_json_body: a request body as JSON, refusing deep nesting before any parser recurses into it."""

from __future__ import annotations

from typing import Any

import orjson

_OPEN = frozenset(b"[{")
_CLOSE = frozenset(b"]}")
_QUOTE, _BACKSLASH = ord('"'), ord("\\")


class BadJson(ValueError):
    """The body is not JSON, or is nested too deeply to be parsed safely; the message says which."""


def parse_json_body(raw: bytes, max_depth: int) -> Any:
    """The JSON value in ``raw`` (UTF-8, strict: no NaN, no lone surrogates); raises BadJson."""
    if nesting_exceeds(raw, max_depth):
        raise BadJson(f"the body is nested deeper than {max_depth} levels")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise BadJson("the body is not JSON") from None


def nesting_exceeds(raw: bytes, limit: int) -> bool:
    """Whether brackets outside strings open more than ``limit`` levels at some point.

    A scan of the bytes, not a parse: it never recurses, and it stops at the first level too deep.
    Malformed text is left to the parser to refuse.
    """
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == _BACKSLASH:
                escaped = True
            elif byte == _QUOTE:
                in_string = False
        elif byte == _QUOTE:
            in_string = True
        elif byte in _OPEN:
            depth += 1
            if depth > limit:
                return True
        elif byte in _CLOSE:
            depth -= 1
    return False
