"""The adaptive design: a warm-up, then rounds that run only the combinations that can still be best.

The arms of the race are the plan's combinations of axis values (variants) not excluded. Each arm's
cells are its samples: the plan's prompts and seeds, taken seed by seed (every prompt of the first
seed, then of the second...), the same samples for every arm so arms are compared on the same
prompts and seeds. The warm-up runs ``design.warmup`` samples of every arm. Then, once every run of
the arms still racing is rated, ``domain.best_arm`` decides which arms can still be best, and a
round runs ``design.per_round`` more samples of each of them. The race ends with one arm left (the
winner), or when the samples (the plan's prompts x seeds) or the budget are spent.

Nothing is stored besides the records and the ratings: the state of the race is recomputed from
the journal and the ratings each time, so a crash or Ctrl-C between rounds loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from domain.best_arm import Race, race
from domain.plan import LearningPlan
from domain.plan_cells import LearningRunStep, PlanVariant, run_order
from domain.plan_journal import CellState, PlanJournal

RunRatings = Callable[[], Mapping[str, Sequence[int]]]
"""The star ratings counted for each run id (the latest of each person), read when called."""


class RaceState(StrEnum):
    WARMING_UP = "warming_up"  # the warm-up has cells to run
    RUNNING = "running"  # a round has cells to run
    WAITING = "waiting"  # runs of arms in the race have no rating yet
    WON = "won"  # one arm is left
    SPENT = "spent"  # every sample of the arms in the race has run: no confident winner


@dataclass(frozen=True, slots=True)
class RaceOutcome:
    """Where an adaptive plan stands: its state, the race (intervals, arms in it), the cells to run
    next, and the arms whose runs wait for ratings (with how many runs of each)."""

    state: RaceState
    race: Race
    variants: Mapping[int, PlanVariant]
    batch: tuple[LearningRunStep, ...] = ()
    unrated: Mapping[int, int] | None = None

    def label(self, arm: int) -> str:
        return self.variants[arm].label()


def samples_of(plan: LearningPlan, steps: Sequence[LearningRunStep]) -> dict[int, list[LearningRunStep]]:
    """Each arm's cells in sample order: seed by seed, each seed's prompts in the plan's order."""
    seeds = {seed: position for position, seed in enumerate(plan.seeds)}
    arms: dict[int, list[LearningRunStep]] = {}
    for step in steps:
        arms.setdefault(step.variant.index, []).append(step)
    for cells in arms.values():
        cells.sort(key=lambda step: (seeds[step.seed], step.prompt_index))
    return arms


def adaptive_outcome(
    plan: LearningPlan,
    steps: Sequence[LearningRunStep],
    journal: PlanJournal,
    ratings: Mapping[str, Sequence[int]],
) -> RaceOutcome:
    """The adaptive design's verdict on the journal and ratings as they stand."""
    design, retry = plan.design, plan.retry
    arms = samples_of(plan, steps)
    variants = {index: cells[0].variant for index, cells in arms.items()}
    live = {
        arm: cells
        for arm, cells in arms.items()
        if all(journal.state(step.cell_id, retry) is not CellState.FAILED for step in cells)
    }
    done = {arm: [step for step in cells if journal.succeeded(step.cell_id)] for arm, cells in live.items()}
    pending = {
        arm: [step for step in cells if journal.state(step.cell_id, retry) is CellState.PENDING]
        for arm, cells in live.items()
    }
    stars: dict[int, list[int]] = {arm: [] for arm in live}
    unrated: dict[int, int] = {}
    for arm, cells in done.items():
        for step in cells:
            attempt = journal.succeeded(step.cell_id)
            given = ratings.get(attempt.run_id, ()) if attempt is not None else ()
            stars[arm].extend(given)
            if not given:
                unrated[arm] = unrated.get(arm, 0) + 1
    standing = race(stars, design.confidence)
    first = {step.cell_id for cells in live.values() for step in cells[: design.warmup]}
    warm = [step for arm in live for step in pending[arm] if step.cell_id in first]
    if warm:
        return RaceOutcome(RaceState.WARMING_UP, standing, variants, run_order(tuple(warm)))
    if unrated:
        return RaceOutcome(RaceState.WAITING, standing, variants, unrated=unrated)
    if standing.winner is not None:
        return RaceOutcome(RaceState.WON, standing, variants)
    racing = standing.in_race
    if not racing:  # every combination failed
        return RaceOutcome(RaceState.SPENT, standing, variants)
    level = max(len(done[arm]) for arm in racing)
    if all(len(done[arm]) == level for arm in racing):
        level += design.per_round
    batch = [step for arm in racing for step in pending[arm][: max(level - len(done[arm]), 0)]]
    if not batch:
        return RaceOutcome(RaceState.SPENT, standing, variants)
    return RaceOutcome(RaceState.RUNNING, standing, variants, run_order(tuple(batch)))


class AdaptiveScheduler:
    """``adaptive`` plans: the warm-up, then one round per call while the ratings allow it.

    Each call reads the ratings anew and gives the cells ``adaptive_outcome`` names (none while runs
    wait for ratings, or once the race is won or spent); ``outcome`` is the verdict of the last call.
    """

    def __init__(self, plan: LearningPlan, steps: tuple[LearningRunStep, ...], ratings: RunRatings) -> None:
        self._plan = plan
        self._steps = steps
        self._ratings = ratings
        self._last: RaceOutcome | None = None

    def next_steps(self, journal: PlanJournal) -> tuple[LearningRunStep, ...]:
        self._last = adaptive_outcome(self._plan, self._steps, journal, self._ratings())
        return self._last.batch

    def outcome(self) -> RaceOutcome | None:
        return self._last
