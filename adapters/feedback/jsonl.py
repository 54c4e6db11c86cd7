"""JsonlFeedbackStore: feedback events as JSON lines, with the same append protocol as the records."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from adapters.jsonl_log import Durability, JsonlLog
from domain.feedback import FeedbackError, FeedbackEvent
from domain.ports import BadLine, FeedbackStore


class JsonlFeedbackStore(FeedbackStore):
    """One line per event in ``path`` (locked, one write and one fsync per append, torn tails quarantined)."""

    def __init__(self, path: Path | str, *, durability: Durability = "fsync") -> None:
        self._log = JsonlLog(path, durability=durability)

    @property
    def path(self) -> Path:
        return self._log.path

    def append(self, events: Sequence[FeedbackEvent]) -> None:
        self._log.append([event.to_dict() for event in events])

    def iter_events(self, *, on_bad_line: Callable[[BadLine], None] | None = None) -> Iterator[FeedbackEvent]:
        for number, offset, payload in self._log.iter_entries(on_bad_line=on_bad_line):
            try:
                yield FeedbackEvent.from_dict(payload)
            except FeedbackError as exc:
                if on_bad_line is not None:
                    on_bad_line(BadLine(number, f"not a feedback event: {exc}", offset))

    def close(self) -> None:
        self._log.close()
