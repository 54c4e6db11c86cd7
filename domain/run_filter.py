"""RunFilter: which runs of the history to show, parsed from option texts like ``--steps 30..``."""

from __future__ import annotations

import fnmatch
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.config import STAGE_NAMES
from domain.errors import StableNewError
from domain.feedback import MAX_RATING, MIN_RATING
from domain.record import SOURCE_IMPORT, SOURCE_PIPELINE
from domain.run import RunStatus
from domain.run_row import RunRow
from domain.timefmt import parse_timestamp

_RELATIVE = re.compile(r"(\d+)\s*([mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
TEXT_FIELDS = ("pack", "prompt_id", "model", "sampler", "scheduler", "stage", "status", "source")
RANGE_FIELDS = ("steps", "cfg", "rating")
FILTER_NAMES = (*TEXT_FIELDS, *RANGE_FIELDS, "tag", "since", "until")
KNOWN_VALUES = {
    "status": tuple(str(status) for status in RunStatus),
    "stage": STAGE_NAMES,
    "source": (SOURCE_PIPELINE, SOURCE_IMPORT),
}
"""Filters with a fixed set of values: another value (not a glob) would match nothing, so it is refused."""


class FilterError(StableNewError, ValueError):
    """A filter text that cannot be understood; ``name`` is the filter it was given for."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"--{name.replace('_', '-')}: {message}")
        self.name = name


@dataclass(frozen=True, slots=True)
class NumberRange:
    """``low <= x <= high``; either end may be open."""

    low: float | None = None
    high: float | None = None

    def contains(self, value: float | None) -> bool:
        if value is None:
            return False
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    @classmethod
    def parse(cls, name: str, text: str) -> NumberRange:
        """``30``, ``30..``, ``..40``, ``20..40``, ``>=30`` or ``<=40``."""
        raw = text.strip()
        if raw.startswith(">="):
            return cls(_number(name, raw[2:]), None)
        if raw.startswith("<="):
            return cls(None, _number(name, raw[2:]))
        if ".." in raw:
            low_text, _, high_text = raw.partition("..")
            low = _number(name, low_text) if low_text.strip() else None
            high = _number(name, high_text) if high_text.strip() else None
            if low is None and high is None:
                raise FilterError(name, "a range needs at least one end, e.g. 20..40 or 30..")
            if low is not None and high is not None and low > high:
                raise FilterError(name, f"range {raw!r} is empty (low end above high end)")
            return cls(low, high)
        value = _number(name, raw)
        return cls(value, value)


def _number(name: str, text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise FilterError(name, f"{text.strip()!r} is not a number (use 30, 30.., ..40 or 20..40)") from None
    if not math.isfinite(value):
        raise FilterError(name, f"{text.strip()!r} is not a finite number")
    return value


@dataclass(frozen=True, slots=True)
class RunFilter:
    """All given conditions must hold. Text conditions are case-insensitive globs (``sdxl*``).

    ``stage`` means the run executed that stage; ``tag`` lists tags the run must all carry;
    ``unrated`` keeps only runs without a rating; ``since``/``until`` bound the start time.
    """

    pack: str | None = None
    prompt_id: str | None = None
    model: str | None = None
    sampler: str | None = None
    scheduler: str | None = None
    stage: str | None = None
    status: str | None = None
    source: str | None = None
    steps: NumberRange | None = None
    cfg: NumberRange | None = None
    rating: NumberRange | None = None
    unrated: bool = False
    tags: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None

    @property
    def uses_feedback(self) -> bool:
        return self.rating is not None or self.unrated or bool(self.tags)

    def matches(self, row: RunRow) -> bool:
        return (
            _glob(self.pack, row.pack)
            and _glob(self.prompt_id, row.prompt_id)
            and _glob(self.model, row.model)
            and _glob(self.sampler, row.sampler)
            and _glob(self.scheduler, row.scheduler)
            and _glob(self.status, row.status)
            and _glob(self.source, row.source)
            and (self.stage is None or any(_glob(self.stage, stage) for stage in row.stages))
            and (self.steps is None or self.steps.contains(row.steps))
            and (self.cfg is None or self.cfg.contains(row.cfg_scale))
            and (self.rating is None or self.rating.contains(row.rating))
            and (not self.unrated or row.rating is None)
            and _has_tags(self.tags, row.tags)
            and self._in_time(row.timestamp)
        )

    def _in_time(self, timestamp: str) -> bool:
        if self.since is None and self.until is None:
            return True
        try:
            moment = parse_timestamp(timestamp)
        except ValueError:
            return False
        return (self.since is None or moment >= self.since) and (self.until is None or moment < self.until)


def literal(text: str) -> str:
    """A text filter's pattern that matches ``text`` itself (case-insensitively, as every text
    filter): each of ``*``, ``?`` and ``[`` stands for itself."""
    return re.sub(r"[*?\[]", lambda found: f"[{found.group()}]", text)


def _glob(pattern: str | None, value: str | None) -> bool:
    if pattern is None:
        return True
    if value is None:
        return False
    return fnmatch.fnmatchcase(value.casefold(), pattern.casefold())


def _has_tags(wanted: tuple[str, ...], tags: tuple[str, ...]) -> bool:
    if not wanted:
        return True
    have = {tag.casefold() for tag in tags}
    return all(tag.casefold() in have for tag in wanted)


def parse_filter(values: Mapping[str, str | Sequence[str] | None], now: datetime) -> RunFilter:
    """A RunFilter from option texts keyed by FILTER_NAMES; None or empty values are ignored.

    ``rating`` also takes ``none`` (only unrated runs). ``since``/``until`` take an ISO date or
    time (``2026-11-24``, ``2026-11-24T09:30``; a date-only ``until`` includes that day) or an
    age like ``30m``, ``12h``, ``7d``, ``2w`` before ``now``. Raises FilterError.
    """
    unknown = sorted(set(values) - set(FILTER_NAMES))
    if unknown:
        raise FilterError(unknown[0], f"unknown filter; expected one of {', '.join(FILTER_NAMES)}")
    fields: dict[str, object] = {}
    for name in TEXT_FIELDS:
        text = _single(name, values.get(name))
        if text is not None:
            _require_known(name, text)
            fields[name] = text
    for name in ("steps", "cfg"):
        text = _single(name, values.get(name))
        if text is not None:
            fields[name] = NumberRange.parse(name, text)
    rating = _single("rating", values.get("rating"))
    if rating is not None:
        if rating.strip().lower() in {"none", "unrated"}:
            fields["unrated"] = True
        else:
            fields["rating"] = _ratings(NumberRange.parse("rating", rating), rating)
    tags = values.get("tag")
    if tags:
        items = [tags] if isinstance(tags, str) else list(tags)
        fields["tags"] = tuple(t.strip() for item in items for t in item.split(",") if t.strip())
    since, until = _single("since", values.get("since")), _single("until", values.get("until"))
    if since is not None:
        fields["since"] = parse_moment("since", since, now)
    if until is not None:
        fields["until"] = parse_moment("until", until, now, end_of_day=True)
    if since is not None and until is not None and fields["since"] >= fields["until"]:  # type: ignore[operator]
        raise FilterError("until", f"{until!r} is not after --since {since!r}")
    return RunFilter(**fields)  # type: ignore[arg-type]


def _require_known(name: str, text: str) -> None:
    known = KNOWN_VALUES.get(name)
    if known and not any(mark in text for mark in "*?[") and text.casefold() not in known:
        raise FilterError(name, f"{text!r} is not one of {', '.join(known)}")


def _ratings(bounds: NumberRange, text: str) -> NumberRange:
    low, high = MIN_RATING, MAX_RATING
    if (bounds.low is not None and bounds.low > high) or (bounds.high is not None and bounds.high < low):
        raise FilterError("rating", f"{text.strip()!r} is outside the ratings {low}..{high} (or 'none')")
    return bounds


def _single(name: str, value: str | Sequence[str] | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        items = [v for v in value if v and v.strip()]
        if len(items) > 1:
            raise FilterError(name, "given more than once")
        value = items[0] if items else ""
    return value.strip() or None


def parse_age(name: str, text: str) -> timedelta:
    """An age as ``--since`` takes one (``30m``, ``12h``, ``7d``, ``2w``); FilterError otherwise."""
    relative = _RELATIVE.fullmatch(text.strip())
    if relative is None:
        raise FilterError(name, f"{text.strip()!r} is not an age (use 30m, 12h, 7d or 2w)")
    return timedelta(**{_UNITS[relative.group(2)]: int(relative.group(1))})


def parse_moment(name: str, text: str, now: datetime, *, end_of_day: bool = False) -> datetime:
    raw = text.strip()
    if _RELATIVE.fullmatch(raw):
        return now - parse_age(name, raw)
    try:
        moment = parse_timestamp(raw)
    except ValueError:
        raise FilterError(
            name, f"{raw!r} is not a date, a time or an age (use 2026-11-24, 2026-11-24T09:30 or 7d)"
        ) from None
    if end_of_day and _DATE_ONLY.fullmatch(raw):
        moment += timedelta(days=1)
    return moment
