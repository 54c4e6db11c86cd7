"""The journal's verdict on a cell from its recorded attempts."""

from __future__ import annotations

import pytest

from domain.plan import RetryPolicy
from domain.plan_journal import CellAttempt, CellState, PlanJournal

RETRY = RetryPolicy(max_attempts=3)


def _try(number: int, status: str, *, retryable: bool = False) -> CellAttempt:
    return CellAttempt(f"run-{number}", "cell", number, status, error="boom", retryable=retryable)


@pytest.mark.parametrize(
    ("attempts", "state"),
    [
        ([], CellState.PENDING),
        ([_try(1, "interrupted"), _try(2, "interrupted")], CellState.PENDING),
        ([_try(1, "failed", retryable=True)], CellState.PENDING),
        ([_try(1, "failed", retryable=True), _try(2, "failed", retryable=True)], CellState.PENDING),
        ([_try(n, "failed", retryable=True) for n in (1, 2, 3)], CellState.FAILED),
        ([_try(1, "failed")], CellState.FAILED),
        ([_try(1, "failed", retryable=True), _try(2, "succeeded")], CellState.DONE),
        (
            [_try(1, "interrupted"), _try(2, "failed", retryable=True), _try(3, "interrupted")],
            CellState.PENDING,
        ),
    ],
)
def test_cell_state(attempts: list[CellAttempt], state: CellState) -> None:
    journal = PlanJournal(attempts)
    assert journal.state("cell", RETRY) is state
    assert journal.next_attempt("cell") == len(attempts) + 1


def test_an_attempt_read_twice_counts_once() -> None:
    journal = PlanJournal([_try(1, "failed", retryable=True)] * 3)
    assert journal.failures("cell") == 1
    assert journal.state("cell", RETRY) is CellState.PENDING
