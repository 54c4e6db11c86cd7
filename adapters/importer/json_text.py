"""JSON metadata texts read safely: an object, or a one-line reason, never an exception."""

from __future__ import annotations

import json
from typing import Any


def json_object(source: str) -> dict[str, Any] | str:
    """The JSON object ``source`` holds, or why it is not one (a short reason)."""
    try:
        found = json.loads(source)
    except RecursionError:
        return "is not JSON (nested too deeply)"
    except ValueError as exc:
        return f"is not JSON ({str(exc).splitlines()[0][:120]})"
    if not isinstance(found, dict):
        return f"is JSON but not an object (a {type(found).__name__})"
    return found


def looks_like_json_object(source: str | None) -> bool:
    return source is not None and source.lstrip().startswith("{")


def stripped(value: object) -> str | None:
    """A prompt as text, surrounding blanks removed; None when it is not text."""
    return value.strip() if isinstance(value, str) else None
