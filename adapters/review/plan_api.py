"""PlanApi: the review page's plan view as plain JSON values (``/api/plans``, ``/api/plans/<id>``).

A plan is laid out as a grid along two of its axes (``x`` and ``y``; by default its first two),
like an X/Y plot whose every square holds live runs: each run with its image and its ratings, to
rate on the page. ``pairs`` are suggested A-versus-B choices (same prompt and seed, different
combination) that the page posts to the existing feedback endpoint as ``choice``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from application.plan_status import CellStatus, VariantStatus
from application.plan_view import PlanViews
from domain.plan import LearningPlan

_MAX_RUNS_SHOWN = 8


class BadPlanRequest(ValueError):
    """A plan view asked for with a bad axis (HTTP 400)."""


class PlanApi:
    """``views`` reads the plans; ``defaults`` are the pipeline settings a plan's base leaves
    unset; ``image_url`` gives the URL of a run's image (index -1: its final image)."""

    def __init__(
        self, views: PlanViews, defaults: Mapping[str, Any], image_url: Callable[[str, int], str]
    ) -> None:
        self._views = views
        self._defaults = dict(defaults)
        self._image_url = image_url

    def plans(self) -> dict[str, Any]:
        return {
            "plans": [
                {
                    "plan_id": plan.plan_id,
                    "name": plan.name,
                    "pack": plan.pack,
                    "design": str(plan.design.kind),
                    "axes": [axis.key for axis in plan.axes],
                }
                for plan in self._views.plans()
            ]
        }

    def plan(self, plan_id: str, query: Mapping[str, list[str]]) -> dict[str, Any]:
        """Raises PlanError for an unknown plan id, BadPlanRequest for an axis the plan lacks."""
        view = self._views(plan_id, self._defaults)
        report = view.status
        plan = report.plan
        x, y = _axes(plan, query.get("x", [None])[-1], query.get("y", [None])[-1])
        x_values = list(plan.axis(x).values) if x else [None]  # type: ignore[union-attr]
        y_values = list(plan.axis(y).values) if y else [None]  # type: ignore[union-attr]
        rows = [
            [
                {
                    "x": x_value,
                    "y": y_value,
                    "variants": [
                        self._variant(v, report.race.race.in_race if report.race else None)
                        for v in report.variants
                        if (x is None or v.variant.values.get(x) == x_value)
                        and (y is None or v.variant.values.get(y) == y_value)
                    ],
                }
                for x_value in x_values
            ]
            for y_value in y_values
        ]
        race = None
        if report.race is not None:
            leader = report.race.race.leader
            race = {
                "state": str(report.race.state),
                "leader": report.race.label(leader.arm) if leader else None,
                "leader_mean": leader.star.mean if leader else None,
                "leader_interval": [leader.star.low, leader.star.high] if leader else None,
                "in_race": [report.race.label(arm) for arm in report.race.race.in_race],
            }
        return {
            "plan": {"plan_id": plan.plan_id, "name": plan.name, "design": str(plan.design.kind)},
            "axes": [{"key": axis.key, "values": list(axis.values)} for axis in plan.axes],
            "x": x,
            "y": y,
            "x_values": x_values,
            "y_values": y_values,
            "rows": rows,
            "race": race,
            "pairs": [
                {
                    "prompt": pair.a.step.prompt_index,
                    "seed": pair.a.step.seed,
                    "a": self._run(pair.a, pair.a.step.variant.label()),
                    "b": self._run(pair.b, pair.b.step.variant.label()),
                }
                for pair in view.pairs
            ],
        }

    def _variant(self, status: VariantStatus, in_race: tuple[int, ...] | None) -> dict[str, Any]:
        done = [cell for cell in status.cells if cell.run_id]
        return {
            "index": status.variant.index,
            "label": status.variant.label(),
            "excluded": status.variant.excluded,
            "in_race": None if in_race is None else status.variant.index in in_race,
            "mean_rating": status.mean_rating,
            "ratings": len(status.ratings),
            "cells": len(status.cells),
            "runs": [self._run(cell) for cell in done[:_MAX_RUNS_SHOWN]],
        }

    def _run(self, cell: CellStatus, label: str | None = None) -> dict[str, Any]:
        assert cell.run_id is not None
        rating = round(sum(cell.ratings) / len(cell.ratings)) if cell.ratings else None
        return {
            "run_id": cell.run_id,
            "label": label or cell.step.variant.label(),
            "prompt": cell.step.prompt_index,
            "seed": cell.step.seed,
            "rating": rating,
            "ratings": len(cell.ratings),
            "image_url": self._image_url(cell.run_id, -1),
        }


def _axes(plan: LearningPlan, x: str | None, y: str | None) -> tuple[str | None, str | None]:
    keys = [axis.key for axis in plan.axes]
    for name, key in (("x", x), ("y", y)):
        if key is not None and key not in keys:
            raise BadPlanRequest(
                f"{name}: {key!r} is not an axis of this plan (its axes: {', '.join(keys) or 'none'})"
            )
    if x is not None and x == y:
        raise BadPlanRequest(f"y: {y!r} is the x axis too")
    x = x or next((key for key in keys if key != y), None)
    y = y or next((key for key in keys if key != x), None)
    return x, y
