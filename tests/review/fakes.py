"""Test doubles for the review feature; each runs through its port's contract suite."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from domain.errors import RecordSerializationError, UnsupportedSchemaVersion
from domain.feedback import FeedbackError, FeedbackEvent
from domain.store_health import BadLine


class InMemoryFeedbackStore:
    """Keeps feedback events as JSON texts in a list, as the JSONL store keeps lines in a file."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def append(self, events: Sequence[FeedbackEvent]) -> None:
        encoded = []
        for event in events:
            try:
                text = json.dumps(event.to_dict(), ensure_ascii=False, allow_nan=False)
                text.encode("utf-8")
            except (TypeError, ValueError) as exc:  # UnicodeEncodeError is a ValueError
                raise RecordSerializationError(f"feedback event cannot be stored as JSON: {exc}") from exc
            encoded.append(text)
        self.lines.extend(encoded)

    def add_raw(self, payload: Any) -> None:
        """Store something that is not a valid event, as a damaged file would hold."""
        self.lines.append(payload if isinstance(payload, str) else json.dumps(payload))

    def iter_events(self, *, on_bad_line: Callable[[BadLine], None] | None = None) -> Iterator[FeedbackEvent]:
        for number, text in enumerate(list(self.lines), start=1):
            try:
                payload = json.loads(text)
                if not isinstance(payload, dict):
                    raise FeedbackError("not a JSON object")
                event = FeedbackEvent.from_dict(payload)
            except UnsupportedSchemaVersion:
                raise
            except ValueError as exc:  # FeedbackError and JSONDecodeError are ValueErrors
                if on_bad_line is not None:
                    on_bad_line(BadLine(number, f"not a feedback event: {exc}"))
                continue
            yield event
