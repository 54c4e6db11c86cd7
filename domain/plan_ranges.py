"""Axis ranges of a plan file: exact decimal steps whose inclusive stop is never overshot.

Three forms (docs/plans.md): ``20-40`` (step 1), ``1.0-1.3 (+0.1)`` (an explicit step) and
``1-10 [5]`` (that many values spread evenly from start to stop, both included; integer axes
truncate each value, so ``1-10 [5]`` gives 1, 3, 5, 7, 10 as A1111's X/Y plot does). Arithmetic is
in ``Decimal``: ``1.0-1.3 (+0.1)`` gives exactly 1.0, 1.1, 1.2, 1.3 and never 1.4.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_NUMBER = r"[+-]?\d+(?:\.\d+)?"
_RANGE = re.compile(
    rf"^\s*(?P<start>{_NUMBER})\s*-\s*(?P<stop>{_NUMBER})\s*"
    rf"(?:\(\s*(?P<step>{_NUMBER})\s*\)|\[\s*(?P<count>\d+)\s*\])?\s*$"
)
MAX_RANGE_VALUES = 1000


class RangeError(ValueError):
    """A range text that gives no usable values; the message says why, in one line."""


def parse_range(text: str, *, integer: bool) -> tuple[Decimal, ...]:
    """The values of ``text`` in order; ``integer`` axes need whole steps. Raises RangeError."""
    match = _RANGE.match(text) if isinstance(text, str) else None
    if match is None:
        raise RangeError(
            f"{text!r} is not a range: write START-STOP, START-STOP (+STEP) or START-STOP [COUNT], "
            "e.g. 20-40 (+10)"
        )
    start, stop = _decimal(match["start"]), _decimal(match["stop"])
    if match["count"] is not None:
        return _spread(start, stop, int(match["count"]), integer=integer)
    step = _decimal(match["step"]) if match["step"] is not None else Decimal(1 if stop >= start else -1)
    return _stepped(start, stop, step, integer=integer)


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:  # the pattern admits only numbers; kept for safety
        raise RangeError(f"{text!r} is not a number") from None


def _stepped(start: Decimal, stop: Decimal, step: Decimal, *, integer: bool) -> tuple[Decimal, ...]:
    if integer and (start != start.to_integral_value() or stop != stop.to_integral_value()):
        raise RangeError(f"{start}-{stop}: this setting takes whole numbers")
    if integer and step != step.to_integral_value():
        raise RangeError(f"step {step} is not a whole number, and this setting takes whole numbers")
    if step == 0:
        raise RangeError("the step is 0, so it never reaches the stop")
    if start != stop and (stop - start > 0) != (step > 0):
        raise RangeError(f"step {step:+} goes away from the stop {stop}, so it never reaches it")
    if start != stop and abs(step) > abs(stop - start):
        raise RangeError(
            f"step {step:+} jumps past the stop {stop} at once: the range would hold {start} only"
        )
    count = int((stop - start) / step) + 1
    if count > MAX_RANGE_VALUES:
        raise RangeError(f"the range has {count} values; at most {MAX_RANGE_VALUES} are allowed")
    values = tuple(start + step * index for index in range(count))
    return tuple(value for value in values if _within(value, start, stop))


def _within(value: Decimal, start: Decimal, stop: Decimal) -> bool:
    low, high = min(start, stop), max(start, stop)
    return low <= value <= high


def _spread(start: Decimal, stop: Decimal, count: int, *, integer: bool) -> tuple[Decimal, ...]:
    if count < 2:
        raise RangeError(f"[{count}]: a spread range needs at least 2 values (start and stop)")
    if count > MAX_RANGE_VALUES:
        raise RangeError(f"[{count}]: at most {MAX_RANGE_VALUES} values are allowed")
    span = stop - start
    values = [start + span * index / (count - 1) for index in range(count - 1)] + [stop]
    if integer:
        values = [Decimal(int(value)) for value in values]  # truncated, as A1111's X/Y plot does
    unique: list[Decimal] = []
    for value in values:
        if value not in unique:
            unique.append(value)
    return tuple(unique)
