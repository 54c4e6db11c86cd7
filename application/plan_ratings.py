"""The ratings a plan's adaptive design counts, and the scheduler each design uses."""

from __future__ import annotations

from collections.abc import Callable

from application.insights import latest_ratings
from domain.insights import PERSONS
from domain.plan import DesignKind, LearningPlan
from domain.plan_adaptive import AdaptiveScheduler
from domain.plan_cells import LearningRunStep
from domain.plan_design import CellScheduler, FixedScheduler
from domain.ports import FeedbackStore

SchedulerFactory = Callable[[LearningPlan, tuple[LearningRunStep, ...]], CellScheduler]


def person_ratings(feedback: FeedbackStore) -> dict[str, list[int]]:
    """The stars of each rated run: the latest rating of each person (as insights counts them)."""
    ratings: dict[str, list[int]] = {}
    for rating in latest_ratings(feedback.iter_events(), by_rater=False).get(PERSONS, []):
        ratings.setdefault(rating.run_id, []).append(rating.stars)
    return ratings


def design_schedulers(feedback: FeedbackStore) -> SchedulerFactory:
    """The scheduler factory of ``plan run``: adaptive plans race on the persons' ratings of
    ``feedback`` (read anew before each round), the other designs run every pending cell."""

    def scheduler(plan: LearningPlan, steps: tuple[LearningRunStep, ...]) -> CellScheduler:
        if plan.design.kind is DesignKind.ADAPTIVE:
            return AdaptiveScheduler(plan, steps, lambda: person_ratings(feedback))
        return FixedScheduler(plan, steps)

    return scheduler
