"""PlanGrid: a plan's combinations as a contact sheet along two of its axes (``plan grid``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from application.plan_status import PlanStatus, VariantStatus
from domain.plan import LearningPlan, PlanError
from domain.plan_grid import GridSheet, GridSquare
from domain.plan_journal import CellState
from domain.ports import ContactSheetWriter, PlanRecords


class PlanGrid:
    """Lays the plan's combinations out with ``x`` across and ``y`` down (``y`` None: one row) and
    has the writer draw it with the plan inside the file. Each square shows the image of the first
    done run of its combination (by prompt, then seed) and its mean rating; with other axes, the
    best-rated combination of that x and y. An axis the plan does not vary raises PlanError."""

    def __init__(self, status: PlanStatus, plans: PlanRecords, writer: ContactSheetWriter) -> None:
        self._status = status
        self._plans = plans
        self._writer = writer

    def __call__(
        self, plan: LearningPlan, defaults: Mapping[str, Any], x: str, y: str | None, target: str
    ) -> GridSheet:
        axes = [axis.key for axis in plan.axes]
        for option, key in (("--x", x), ("--y", y)):
            if key is not None and key not in axes:
                known = ", ".join(axes) or "none"
                raise PlanError(option, f"{key!r} is not an axis of plan {plan.name} (its axes: {known})")
        if x == y:
            raise PlanError("--y", f"{y!r} is the --x axis too: choose another")
        report = self._status(plan, defaults)
        images = self._first_images({cell.run_id for v in report.variants for cell in v.cells if cell.run_id})
        x_axis, y_axis = plan.axis(x), plan.axis(y) if y else None
        assert x_axis is not None
        y_values = y_axis.values if y_axis is not None else ("",)
        squares: dict[tuple[int, int], GridSquare] = {}
        for column, x_value in enumerate(x_axis.values):
            for row, y_value in enumerate(y_values):
                matching = [
                    v
                    for v in report.variants
                    if v.variant.values.get(x) == x_value
                    and (y is None or v.variant.values.get(y) == y_value)
                ]
                squares[(column, row)] = _square(matching, images)
        sheet = GridSheet(
            f"{plan.name} ({plan.plan_id})",
            x,
            x_axis.values,
            y,
            y_axis.values if y_axis is not None else (),
            squares,
        )
        plan_text = json.dumps(plan.to_dict(), sort_keys=True, ensure_ascii=False)
        self._writer.write(sheet, target, plan_text)
        return sheet

    def _first_images(self, run_ids: set[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for record in self._plans.plan_records():
            if record.run_id in run_ids and record.outputs:
                found[record.run_id] = record.outputs[-1].path  # an image of the last stage
        return found


def _square(matching: list[VariantStatus], images: Mapping[str, str]) -> GridSquare:
    shown = [v for v in matching if not v.variant.excluded]
    if not shown:
        return GridSquare(matching[0].variant.label() if matching else "", None, None, 0, "excluded")
    best = max(shown, key=lambda v: (v.mean_rating if v.mean_rating is not None else -1.0, -v.variant.index))
    cells = sorted(best.cells, key=lambda cell: (cell.step.prompt_index, cell.step.seed))
    image = next((images[cell.run_id] for cell in cells if cell.run_id and cell.run_id in images), None)
    note = ""
    if image is None:
        note = "failed" if best.count(CellState.FAILED) else "not run yet"
    return GridSquare(best.variant.label(), image, best.mean_rating, len(best.ratings), note)
