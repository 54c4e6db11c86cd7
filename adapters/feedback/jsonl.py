"""JsonlFeedbackStore: feedback events as JSON lines, with the same append protocol as the records."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

from adapters.jsonl_log import Durability, JsonlLog, Repair, Verification
from domain.errors import UnsupportedSchemaVersion
from domain.feedback import FeedbackError, FeedbackEvent
from domain.ports import FeedbackStore, MaintainedFile
from domain.store_health import BadLine

SAMPLED_LINES = 100


class JsonlFeedbackStore(FeedbackStore, MaintainedFile):
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
                    on_bad_line(BadLine(number, _not_an_event(exc), offset))

    def verify(self) -> Verification:
        """Count good and bad lines; a newer schema_version raises UnsupportedSchemaVersion."""
        return self._log.verify(feedback_problem)

    def repair(self) -> Repair:
        """Move bad lines to the quarantine and keep the events in order (see JsonlLog.repair)."""
        return self._log.repair(feedback_problem)

    def close(self) -> None:
        self._log.close()


def feedback_problem(payload: Mapping[str, Any]) -> str | None:
    """Why ``payload`` is not a feedback event this version can read, or None if it is one."""
    try:
        FeedbackEvent.from_dict(payload)
    except UnsupportedSchemaVersion:
        raise
    except FeedbackError as exc:
        return _not_an_event(exc)
    return None


def holds_feedback(path: Path) -> bool:
    """True if most of the first stored objects of ``path`` are feedback events, not records."""
    if not path.is_file():
        return False  # the store opening it says what is wrong
    with JsonlLog(path) as log:
        sample = list(islice(log.iter_payloads(), SAMPLED_LINES))
    events = sum("event_id" in payload and "stage_plan" not in payload for payload in sample)
    return events * 2 > len(sample)


def _not_an_event(exc: FeedbackError) -> str:
    return f"not a feedback event: {exc}"
