"""Feedback on runs: append-only events (a rating, tags, a note, a pairwise choice) and their fold.

Events are never edited: a new rating supersedes the old one for the run's *current* rating, and
the full history stays. Field meanings are documented in docs/review.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from domain.errors import StableNewError, UnsupportedSchemaVersion

FEEDBACK_SCHEMA_VERSION = 1
KNOWN_FEEDBACK_SCHEMA_VERSIONS = frozenset({1})

FeedbackKind = Literal["rating", "tags", "note", "choice"]
FEEDBACK_KINDS: tuple[FeedbackKind, ...] = ("rating", "tags", "note", "choice")
AuthorKind = Literal["person", "scorer"]
AUTHOR_KINDS: tuple[AuthorKind, ...] = ("person", "scorer")

MIN_RATING, MAX_RATING = 1, 5
MAX_TAG_LENGTH = 64
MAX_NOTE_LENGTH = 10_000
_TAG_FORBIDDEN = frozenset(",")


class FeedbackError(StableNewError, ValueError):
    """Feedback that cannot be stored (a rating out of range, an empty tag...); nothing was stored."""


@dataclass(frozen=True, slots=True)
class FeedbackAuthor:
    """Who gave the feedback: a person by name, or an automatic scorer by name and version."""

    kind: AuthorKind
    name: str
    version: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in AUTHOR_KINDS:
            raise FeedbackError(f"author kind must be one of {', '.join(AUTHOR_KINDS)}, got {self.kind!r}")
        if not isinstance(self.name, str) or not self.name.strip():
            raise FeedbackError("author name must be non-empty text")
        if self.kind == "scorer" and not self.version:
            raise FeedbackError(f"scorer {self.name!r} needs a version")

    @classmethod
    def person(cls, name: str) -> FeedbackAuthor:
        return cls("person", name)

    @classmethod
    def scorer(cls, name: str, version: str) -> FeedbackAuthor:
        return cls("scorer", name, version)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "name": self.name}
        if self.version is not None:
            data["version"] = self.version
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeedbackAuthor:
        if not isinstance(data, Mapping):
            raise FeedbackError(f"by must be an object naming who gave the feedback, got {data!r}")
        version = data.get("version")
        return cls(data["kind"], data["name"], None if version is None else str(version))

    def __str__(self) -> str:
        return f"{self.name} {self.version}" if self.version else self.name


@dataclass(frozen=True, slots=True)
class FeedbackEvent:
    """One piece of feedback on ``run_id``, valid by construction (FeedbackError otherwise).

    ``kind`` says which of the optional fields is set: ``rating`` (1-5), ``tags_added`` /
    ``tags_removed``, ``note``, or ``worse_run_id`` for a choice (``run_id`` was judged better).
    """

    event_id: str
    run_id: str
    timestamp: str
    by: FeedbackAuthor
    kind: FeedbackKind
    rating: int | None = None
    tags_added: tuple[str, ...] = ()
    tags_removed: tuple[str, ...] = ()
    note: str | None = None
    worse_run_id: str | None = None
    schema_version: int = FEEDBACK_SCHEMA_VERSION

    def __post_init__(self) -> None:
        object.__setattr__(self, "tags_added", tuple(self.tags_added))
        object.__setattr__(self, "tags_removed", tuple(self.tags_removed))
        _validate(self)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "schema_version": self.schema_version,
            "event_id": self.event_id,
            "run_id": self.run_id,
            "timestamp": self.timestamp,
            "by": self.by.to_dict(),
            "kind": self.kind,
        }
        if self.kind == "rating":
            data["rating"] = self.rating
        elif self.kind == "tags":
            data["tags_added"] = list(self.tags_added)
            data["tags_removed"] = list(self.tags_removed)
        elif self.kind == "note":
            data["note"] = self.note
        else:
            data["worse_run_id"] = self.worse_run_id
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeedbackEvent:
        """Inverse of ``to_dict``; a newer schema raises UnsupportedSchemaVersion, a bad event
        FeedbackError (KeyError/TypeError for missing or mistyped fields are turned into it)."""
        version = data.get("schema_version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise FeedbackError(f"schema_version must be a positive integer, got {version!r}")
        if version not in KNOWN_FEEDBACK_SCHEMA_VERSIONS:
            raise UnsupportedSchemaVersion(version, max(KNOWN_FEEDBACK_SCHEMA_VERSIONS))
        try:
            return cls(
                schema_version=version,
                event_id=data["event_id"],
                run_id=data["run_id"],
                timestamp=data["timestamp"],
                by=FeedbackAuthor.from_dict(data["by"]),
                kind=data["kind"],
                rating=data.get("rating"),
                tags_added=tuple(data.get("tags_added") or ()),
                tags_removed=tuple(data.get("tags_removed") or ()),
                note=data.get("note"),
                worse_run_id=data.get("worse_run_id"),
            )
        except KeyError as exc:
            raise FeedbackError(f"missing field {exc}") from exc
        except TypeError as exc:
            raise FeedbackError(f"mistyped field ({exc})") from exc

    def concerns(self, run_id: str) -> bool:
        """True if this event is about ``run_id`` (as the rated run or either side of a choice)."""
        return run_id in (self.run_id, self.worse_run_id)


def normalize_tag(tag: str) -> str:
    """A tag as stored: surrounding space removed; empty, too long or comma-holding tags are refused."""
    if not isinstance(tag, str):
        raise FeedbackError(f"a tag must be text, got {tag!r}")
    cleaned = " ".join(tag.split())
    if not cleaned:
        raise FeedbackError("a tag must not be empty")
    if len(cleaned) > MAX_TAG_LENGTH:
        raise FeedbackError(f"tag {cleaned[:20]!r}... is longer than {MAX_TAG_LENGTH} characters")
    if any(char in _TAG_FORBIDDEN for char in cleaned):
        raise FeedbackError(f"tag {cleaned!r} must not contain a comma")
    return cleaned


def _text(value: object, name: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise FeedbackError(f"{name} must be non-empty text, got {value!r}")


def _validate(event: FeedbackEvent) -> None:
    _text(event.event_id, "event_id")
    _text(event.run_id, "run_id")
    _text(event.timestamp, "timestamp")
    if not isinstance(event.by, FeedbackAuthor):
        raise FeedbackError("by must name who gave the feedback")
    if event.kind not in FEEDBACK_KINDS:
        raise FeedbackError(f"kind must be one of {', '.join(FEEDBACK_KINDS)}, got {event.kind!r}")
    rating = event.rating
    if event.kind == "rating":
        if not isinstance(rating, int) or isinstance(rating, bool) or not MIN_RATING <= rating <= MAX_RATING:
            raise FeedbackError(f"rating must be a whole number {MIN_RATING}-{MAX_RATING}, got {rating!r}")
    elif rating is not None:
        raise FeedbackError(f"a {event.kind} event carries no rating")
    if event.kind == "tags":
        for tag in (*event.tags_added, *event.tags_removed):
            if normalize_tag(tag) != tag:
                raise FeedbackError(f"tag {tag!r} is not normalized (use normalize_tag)")
        if not event.tags_added and not event.tags_removed:
            raise FeedbackError("a tags event adds or removes at least one tag")
    elif event.tags_added or event.tags_removed:
        raise FeedbackError(f"a {event.kind} event carries no tags")
    if event.kind == "note":
        _text(event.note, "note")
        if len(event.note or "") > MAX_NOTE_LENGTH:
            raise FeedbackError(f"note is longer than {MAX_NOTE_LENGTH} characters")
    elif event.note is not None:
        raise FeedbackError(f"a {event.kind} event carries no note")
    if event.kind == "choice":
        _text(event.worse_run_id, "worse_run_id")
        if event.worse_run_id == event.run_id:
            raise FeedbackError("a choice needs two different runs")
    elif event.worse_run_id is not None:
        raise FeedbackError(f"a {event.kind} event carries no worse_run_id")


@dataclass(frozen=True, slots=True)
class RunFeedback:
    """The current state of one run's feedback, folded from its events (latest wins)."""

    run_id: str
    rating: int | None = None
    rated_by: FeedbackAuthor | None = None
    rated_at: str | None = None
    tags: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    wins: int = 0
    losses: int = 0
    events: tuple[FeedbackEvent, ...] = field(default=(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The folded state and the events it came from, as JSON-ready values (no run id)."""
        return {
            "rating": self.rating,
            "rated_by": self.rated_by.to_dict() if self.rated_by else None,
            "rated_at": self.rated_at,
            "tags": list(self.tags),
            "notes": list(self.notes),
            "wins": self.wins,
            "losses": self.losses,
            "events": [event.to_dict() for event in self.events],
        }


def fold_feedback(events: Iterable[FeedbackEvent]) -> dict[str, RunFeedback]:
    """Current feedback per run from events in stored order; a repeated event_id counts once.

    The latest rating wins; tags are added and removed in order (sorted in the result); notes
    accumulate; a choice counts as a win for ``run_id`` and a loss for ``worse_run_id``.
    """
    seen: set[str] = set()
    state: dict[str, _Acc] = {}
    for event in events:
        if event.event_id in seen:
            continue
        seen.add(event.event_id)
        acc = state.setdefault(event.run_id, _Acc())
        acc.events.append(event)
        if event.kind == "rating":
            acc.rating = event
        elif event.kind == "tags":
            acc.tags.difference_update(event.tags_removed)
            acc.tags.update(event.tags_added)
        elif event.kind == "note":
            acc.notes.append(event.note or "")
        elif event.worse_run_id is not None:
            acc.wins += 1
            loser = state.setdefault(event.worse_run_id, _Acc())
            loser.losses += 1
            loser.events.append(event)
    return {run_id: acc.freeze(run_id) for run_id, acc in state.items()}


def tag_order(tag: str) -> tuple[str, str]:
    """Tags are listed case-insensitively sorted; tags differing only in case in a fixed order."""
    return tag.casefold(), tag


class _Acc:
    __slots__ = ("events", "losses", "notes", "rating", "tags", "wins")

    def __init__(self) -> None:
        self.rating: FeedbackEvent | None = None
        self.tags: set[str] = set()
        self.notes: list[str] = []
        self.wins = 0
        self.losses = 0
        self.events: list[FeedbackEvent] = []

    def freeze(self, run_id: str) -> RunFeedback:
        rating = self.rating
        return RunFeedback(
            run_id=run_id,
            rating=rating.rating if rating else None,
            rated_by=rating.by if rating else None,
            rated_at=rating.timestamp if rating else None,
            tags=tuple(sorted(self.tags, key=tag_order)),
            notes=tuple(self.notes),
            wins=self.wins,
            losses=self.losses,
            events=tuple(self.events),
        )
