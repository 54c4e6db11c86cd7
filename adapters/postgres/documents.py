"""Documents in and out of JSONB: the JSONL line bodies, checked the same way."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.jsonl_log import encode_json
from domain.errors import RecordSerializationError


def to_jsonb(payload: Mapping[str, Any]) -> str:
    """``payload`` as JSON text for a jsonb parameter; RecordSerializationError for what JSONB cannot hold."""
    body = encode_json(payload)
    if b"\\u0000" in body:
        raise RecordSerializationError("record cannot be stored in PostgreSQL: a text holds a NUL character")
    return body.decode("utf-8")
