"""FeedbackRecorder: the use case that rates, tags, annotates and compares runs of the history."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable

from application.history import History
from domain.feedback import FeedbackAuthor, FeedbackError, FeedbackEvent, normalize_tag
from domain.ports import Clock, FeedbackStore
from domain.timefmt import format_timestamp


def new_event_id() -> str:
    return uuid.uuid4().hex


class FeedbackRecorder:
    """Appends feedback events by ``author`` for runs that exist in the history.

    Each call resolves the run id (a unique prefix is enough), builds every event (invalid
    input raises FeedbackError before anything is stored) and stores them in one append.
    """

    def __init__(
        self,
        history: History,
        store: FeedbackStore,
        author: FeedbackAuthor,
        clock: Clock,
        new_id: Callable[[], str] = new_event_id,
    ) -> None:
        self._history = history
        self._store = store
        self._author = author
        self._clock = clock
        self._new_id = new_id

    def rate(
        self, run: str, rating: int, tags: Iterable[str] = (), note: str | None = None
    ) -> list[FeedbackEvent]:
        """A rating, plus optional tags and a note, stored together."""
        _check_rating(rating)
        added = _tags(tags)
        run_id = self._history.run_id(run)
        events = [self._event(run_id, "rating", rating=rating)]
        if added:
            events.append(self._event(run_id, "tags", tags_added=added))
        if note is not None and note.strip():
            events.append(self._event(run_id, "note", note=note))
        self._store.append(events)
        return events

    def tag(self, run: str, add: Iterable[str] = (), remove: Iterable[str] = ()) -> FeedbackEvent:
        added, removed = _tags(add), _tags(remove)
        if not added and not removed:
            raise FeedbackError("give at least one tag to add or remove")
        run_id = self._history.run_id(run)
        event = self._event(run_id, "tags", tags_added=added, tags_removed=removed)
        self._store.append([event])
        return event

    def note(self, run: str, text: str) -> FeedbackEvent:
        if not text.strip():
            raise FeedbackError("a note must not be empty")
        run_id = self._history.run_id(run)
        event = self._event(run_id, "note", note=text)
        self._store.append([event])
        return event

    def choose(self, better: str, worse: str) -> FeedbackEvent:
        """``better`` was judged better than ``worse`` (a pairwise choice)."""
        better_id = self._history.run_id(better)
        worse_id = self._history.run_id(worse)
        event = self._event(better_id, "choice", worse_run_id=worse_id)
        self._store.append([event])
        return event

    def _event(self, run_id: str, kind: str, **fields: object) -> FeedbackEvent:
        return FeedbackEvent(
            event_id=self._new_id(),
            run_id=run_id,
            timestamp=format_timestamp(self._clock.now()),
            by=self._author,
            kind=kind,  # type: ignore[arg-type]
            **fields,  # type: ignore[arg-type]
        )


def _check_rating(rating: object) -> None:
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise FeedbackError(f"rating must be a whole number 1-5, got {rating!r}")


def _tags(tags: Iterable[str]) -> tuple[str, ...]:
    unique: dict[str, None] = {}
    for tag in tags:
        unique.setdefault(normalize_tag(tag), None)
    return tuple(unique)
