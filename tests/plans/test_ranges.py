"""Axis ranges: exact decimals, an inclusive stop never overshot, A1111's forms."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.plan_ranges import RangeError, parse_range


def _floats(text: str) -> list[float]:
    return [float(value) for value in parse_range(text, integer=False)]


def test_decimal_step_stops_exactly_at_an_inclusive_stop() -> None:
    assert _floats("1.0-1.3 (+0.1)") == [1.0, 1.1, 1.2, 1.3]


def test_a1111_step_form_never_passes_the_stop() -> None:
    assert parse_range("1-10 (+2)", integer=True) == tuple(Decimal(v) for v in (1, 3, 5, 7, 9))


def test_a1111_count_form_truncates_like_the_xy_plot() -> None:
    assert parse_range("1-10 [5]", integer=True) == tuple(Decimal(v) for v in (1, 3, 5, 7, 10))


def test_count_form_of_a_decimal_setting_keeps_exact_values() -> None:
    assert _floats("0.2-0.8 [4]") == [0.2, 0.4, 0.6, 0.8]


def test_plain_range_steps_by_one_and_may_go_down() -> None:
    assert parse_range("5-3", integer=True) == (Decimal(5), Decimal(4), Decimal(3))
    assert _floats("30-20 (-5)") == [30.0, 25.0, 20.0]


@pytest.mark.parametrize(
    ("text", "integer", "why"),
    [
        ("20-40 (-10)", True, "goes away from the stop"),
        ("20-40 (+0)", True, "the step is 0"),
        ("20-25 (+10)", True, "jumps past the stop"),
        ("20-40 (+2.5)", True, "not a whole number"),
        ("1.5-3", True, "whole numbers"),
        ("1-10 [1]", True, "at least 2 values"),
        ("twenty-forty", True, "is not a range"),
        ("1-100000 (+1)", True, "at most"),
    ],
)
def test_ranges_that_give_no_usable_values_are_refused(text: str, integer: bool, why: str) -> None:
    with pytest.raises(RangeError, match=why):
        parse_range(text, integer=integer)


_decimals = st.decimals(min_value=-100, max_value=100, places=2, allow_nan=False, allow_infinity=False)


@given(start=_decimals, stop=_decimals, step=st.decimals(min_value="0.01", max_value=50, places=2))
def test_no_decimal_range_ever_exceeds_its_stop(start: Decimal, stop: Decimal, step: Decimal) -> None:
    signed = step if stop >= start else -step
    try:
        values = parse_range(f"{start}-{stop} ({signed:+})", integer=False)
    except RangeError:
        return  # refused (a step past the stop): nothing to overshoot
    low, high = min(start, stop), max(start, stop)
    assert values[0] == start
    assert all(low <= value <= high for value in values)
    assert abs(stop - values[-1]) < step  # no value short of the stop was left out


@given(start=_decimals, stop=_decimals, count=st.integers(min_value=2, max_value=50))
def test_spread_ranges_hold_both_ends_and_nothing_outside(start: Decimal, stop: Decimal, count: int) -> None:
    values = parse_range(f"{start}-{stop} [{count}]", integer=False)
    assert values[0] == start
    assert values[-1] == stop
    assert all(min(start, stop) <= value <= max(start, stop) for value in values)
