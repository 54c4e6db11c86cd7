"""``stablenew plan check|run|status``: parameter sweeps from a plan file (docs/plans.md).

Exit codes: 0 done (or stopped by the budget); 1 a cell failed, the backend stayed unreachable,
or the plan is already running; 2 a bad plan (one line naming the key and its line); 130 Ctrl-C.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from adapters.cli.common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    SettingsOption,
    duration_text,
    exit_with,
    load_settings_or_exit,
    print_json,
    refuse_folder_as_file,
    stderr,
    stdout,
)
from adapters.cli.history_session import JsonOption, RecordsOption

if TYPE_CHECKING:
    from collections.abc import Iterator

    from adapters.container import Container
    from application.plan_check import PlanCheckReport
    from application.plan_run import PlanRunReport
    from application.plan_status import PlanStatusReport
    from application.queue_jobs import QueuePlanReport
    from domain.plan import LearningPlan
    from domain.plan_cells import LearningRunStep
    from domain.plan_journal import CellAttempt

PlanArgument = Annotated[
    Path, typer.Argument(help="The plan file (TOML, docs/plans.md).", show_default=False)
]
OutputOption = Annotated[
    Path | None,
    typer.Option("--output", help="Folder for the images (default: output.dir).", show_default=False),
]


def register(app: typer.Typer) -> None:
    plan_app = typer.Typer(help="Parameter sweeps (plans) that resume after a crash.", no_args_is_help=True)
    plan_app.command("check")(check)
    plan_app.command("run")(run)
    plan_app.command("status")(status)
    plan_app.command("grid")(grid)
    app.add_typer(plan_app, name="plan")


def check(plan_file: PlanArgument, records: RecordsOption = None, settings: SettingsOption = None) -> None:
    """Validate a plan and say what `plan run` would do: cells, images, excluded cells, model
    switches, cells already done in the history and the time left (no image is made)."""
    from domain.errors import BackendError

    container, defaults, source = _open(plan_file, settings, records)
    with _plan_errors(source):
        try:
            report = container.check_plan()(source.plan, defaults)
        except BackendError as exc:
            exit_with(f"cannot check the plan's names against the backend: {exc}", EXIT_FAILED)
    _print_check(report)


def run(
    plan_file: PlanArgument,
    max_images: Annotated[
        int | None,
        typer.Option(
            "--max-images", min=1, help="Stop after this many images in this run.", show_default=False
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List the cells it would run; run none.")
    ] = False,
    queue: Annotated[
        bool,
        typer.Option(
            "--queue",
            help="Put every pending cell on the shared job queue for the workers (docs/scale-out.md) "
            "instead of running them here.",
        ),
    ] = False,
    records: RecordsOption = None,
    output: OutputOption = None,
    settings: SettingsOption = None,
) -> None:
    """Run the plan's pending cells (resuming from the records), within its budget; with --queue,
    hand them to the workers."""
    from application.plan_run import Stop
    from domain.plan import PlanBusy

    container, defaults, source = _open(plan_file, settings, records, output)
    if queue:
        from adapters.cli.queue_errors import queue_errors

        with _plan_errors(source), queue_errors():
            _print_queued(container.queue_plan()(source.plan, defaults))
        return
    observer = None if dry_run else _CellProgress()
    with _plan_errors(source):
        try:
            report = container.run_plan()(
                source.plan, defaults, max_images=max_images, dry_run=dry_run, observer=observer
            )
        except PlanBusy as exc:
            exit_with(str(exc), EXIT_FAILED)
        finally:
            if observer is not None:
                observer.close()
    _print_run(report)
    if report.stopped is Stop.INTERRUPTED:
        raise typer.Exit(EXIT_INTERRUPTED)
    if report.failed or report.stopped in (Stop.ERROR, Stop.UNREACHABLE):
        raise typer.Exit(EXIT_FAILED)


def status(
    plan: Annotated[
        str,
        typer.Argument(
            help="The plan file, a plan id (or its start) from the records, or a `plan grid` PNG."
        ),
    ],
    json_output: JsonOption = False,
    records: RecordsOption = None,
    settings: SettingsOption = None,
) -> None:
    """Each cell: done, failed (why), pending or excluded, with its ratings; once the plan has
    ended, the winner of each axis with its evidence and the command to save it as a preset."""
    container, defaults, source, learning_plan = _plan_of(plan, settings, records)
    use_case = container.plan_status()
    with _plan_errors(source):
        report = use_case(learning_plan, defaults)
    if json_output:
        print_json(_status_json(report))
    else:
        _print_status(report)


def grid(
    plan: Annotated[
        str, typer.Argument(help="The plan file, a plan id (or its start), or a contact sheet it wrote.")
    ],
    x: Annotated[str, typer.Option("--x", help="The axis across (an axis key of the plan).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The PNG to write.")],
    y: Annotated[str | None, typer.Option("--y", help="The axis down (default: one row).")] = None,
    records: RecordsOption = None,
    settings: SettingsOption = None,
) -> None:
    """Write the plan's combinations as an annotated contact sheet (PNG) along two axes, each
    square an image of its runs with its rating; the PNG carries the plan (`plan status grid.png`)."""
    refuse_folder_as_file("--output", output, "grid.png")
    container, defaults, source, learning_plan = _plan_of(plan, settings, records)
    with _plan_errors(source):
        try:
            sheet = container.plan_grid()(learning_plan, defaults, x, y, str(output))
        except OSError as exc:
            exit_with(f"cannot write {output}: {exc.strerror or exc}", EXIT_FAILED)
    shown = sum(1 for square in sheet.squares.values() if square.image)
    stdout.print(f"wrote {output}: {len(sheet.squares)} square(s), {shown} with an image")


def _plan_of(
    plan: str, settings: Path | None, records: Path | None
) -> tuple[Container, dict[str, Any], Any, LearningPlan]:
    """The plan a file, a contact sheet (.png) or a plan id names."""
    from adapters.container import sheet_plan
    from domain.plan import LearningPlan, PlanError

    path = Path(plan)
    is_sheet = path.suffix.lower() == ".png"
    is_file = not is_sheet and (path.suffix == ".toml" or path.exists())
    container, defaults, source = _open(path if is_file else None, settings, records)
    if source is not None:
        return container, defaults, source, source.plan
    try:
        if is_sheet:
            return container, defaults, None, LearningPlan.from_dict(sheet_plan(path))
        return container, defaults, None, container.plan_status().by_id(plan)
    except (PlanError, ValueError) as exc:
        exit_with(getattr(exc, "message", None) or str(exc), EXIT_USAGE)


def _open(
    plan_file: Path | None, settings_file: Path | None, records: Path | None, output: Path | None = None
) -> tuple[Container, dict[str, Any], Any]:
    """The container, the pipeline settings a plan's ``base`` does not set, and the plan file read."""
    from adapters.container import build_container
    from adapters.container import plan_file as read_plan_file

    loaded, _layers = load_settings_or_exit(
        settings_file, {"learning": {"records_path": records}, "output": {"dir": output}}
    )
    if loaded.learning.sink == "null":
        exit_with("plans need the records (their journal), but learning.sink is null", EXIT_USAGE)
    source = None
    if plan_file is not None:
        try:
            source = read_plan_file(plan_file)
        except ValueError as exc:
            exit_with(str(exc), EXIT_USAGE)
    return build_container(loaded), loaded.pipeline.model_dump(), source


@contextmanager
def _plan_errors(source: Any) -> Iterator[None]:
    """A PlanError exits 2 with the key's line in the plan file; store errors exit 1."""
    from domain.errors import RecordStoreError, UnsupportedSchemaVersion
    from domain.plan import PlanError

    try:
        yield
    except PlanError as exc:
        exit_with(source.explain(exc) if source is not None else str(exc), EXIT_USAGE)
    except (RecordStoreError, UnsupportedSchemaVersion) as exc:
        exit_with(str(exc), EXIT_FAILED)


def _print_check(report: PlanCheckReport) -> None:
    plan = report.plan
    stdout.print(f"plan {plan.name} (id {plan.plan_id}), design {plan.design.kind}")
    shown = len(report.variants) - len(report.excluded)
    stdout.print(
        f"cells: {len(report.steps)} ({shown} of {len(report.variants)} combinations x "
        f"{len(plan.prompts)} prompt(s) x {len(plan.seeds)} seed(s))"
    )
    for variant in report.excluded:
        stdout.print(f"  excluded: {variant.label()}")
    stdout.print(f"images: {report.images} ({plan.images_per_cell} per cell)")
    if str(plan.design.kind) == "adaptive":
        design = plan.design
        samples = len(plan.prompts) * len(plan.seeds)
        warmup = min(design.warmup, samples)
        stdout.print(
            f"adaptive: a warm-up of {warmup} of the {samples} prompt and seed sample(s) "
            f"of each combination, then rounds of {design.per_round} more of those still in the race "
            f"(confidence {design.confidence:g}); the cells above are the most it runs"
        )
    stdout.print(
        f"in the history: {report.done} done, {report.failed} failed for good; "
        f"pending: {len(report.pending)} cell(s), {report.pending_images} image(s)"
    )
    stdout.print(f"model switches: {report.model_switches}")
    estimate = report.estimate
    if estimate.seconds is None:
        stdout.print(
            "estimated time: no timing history for these cells" if report.pending else "estimated time: 0 s"
        )
    else:
        untimed = f"; no timing history for {estimate.untimed} cell(s)" if estimate.untimed else ""
        stdout.print(
            f"estimated time: {duration_text(estimate.seconds)} for {estimate.timed} cell(s), from the "
            f"history's stage timings{untimed}"
        )
    budget = plan.budget
    if budget.max_images is not None or budget.max_minutes is not None:
        parts = [
            f"{budget.max_images} images" if budget.max_images else "",
            f"{budget.max_minutes:g} min" if budget.max_minutes else "",
        ]
        stdout.print(f"budget: at most {' and '.join(part for part in parts if part)}")


def _print_run(report: PlanRunReport) -> None:
    from adapters.cli.plan_race import race_lines
    from application.plan_run import Stop

    if report.dry_run:
        stdout.print(
            f"dry run: {len(report.would_run)} of {report.cells} cell(s) would run "
            f"({report.done_before} already done)"
        )
        for step in report.would_run:
            stdout.print(f"  {_cell_label(step)}")
        if report.race is not None:
            for line in race_lines(report.race):
                stdout.print(line)
        return
    stdout.print(
        f"plan {report.plan_id}: ran {len(report.ran)} cell(s): {report.succeeded} done, "
        f"{len(report.failed)} failed; {report.done_before} were done before"
    )
    for step, attempt in report.failed:
        stdout.print(f"  failed: {_cell_label(step)}: {' '.join((attempt.error or '').split())}")
    if report.stopped is not None:
        stderr.print(f"stopped: {report.stop_reason}")
    if report.race is not None and report.stopped not in (Stop.INTERRUPTED, Stop.ERROR, Stop.UNREACHABLE):
        for line in race_lines(report.race, budget_spent=report.stopped in (Stop.BUDGET, Stop.MAX_IMAGES)):
            stdout.print(line)


def _print_queued(report: QueuePlanReport) -> None:
    from adapters.cli.queue_cmd import eta_text

    again = len(report.queued) - report.new
    stdout.print(
        f"plan {report.plan_id}: {report.new} cell(s) queued"
        + (f", {again} already queued" if again else "")
        + f"; {report.done_before} done before, {report.failed_before} failed for good, "
        f"of {report.cells}"
    )
    stdout.print(eta_text(report.eta))


def _cell_label(step: LearningRunStep) -> str:
    return f"{step.variant.label()} | prompt {step.prompt_index + 1} | seed {step.seed}"


def _print_status(report: PlanStatusReport) -> None:
    from rich.table import Table

    from domain.plan_journal import CellState

    plan = report.plan
    excluded = sum(1 for variant in report.variants if variant.variant.excluded)
    stdout.print(
        f"plan {plan.name} (id {plan.plan_id}): {report.count(CellState.DONE)} done, "
        f"{report.count(CellState.FAILED)} failed, {report.count(CellState.PENDING)} pending cell(s); "
        f"{excluded} combination(s) excluded"
    )
    table = Table(box=None, pad_edge=False)
    for column in ("cells of", "done", "failed", "pending", "rating"):
        table.add_column(column, justify="left" if column == "cells of" else "right")
    for variant in report.variants:
        if variant.variant.excluded:
            table.add_row(variant.variant.label(), "excluded", "", "", "")
            continue
        mean = variant.mean_rating
        rating = f"{mean:.2f} ({len(variant.ratings)})" if mean is not None else "-"
        table.add_row(
            variant.variant.label(),
            f"{variant.count(CellState.DONE)}/{len(variant.cells)}",
            str(variant.count(CellState.FAILED)),
            str(variant.count(CellState.PENDING)),
            rating,
        )
    stdout.print(table)
    for variant in report.variants:
        for error in variant.errors:
            stdout.print(f"failed: {variant.variant.label()}: {' '.join(error.split())}")
    if report.race is not None:
        from adapters.cli.plan_race import race_lines

        for line in race_lines(report.race):
            stdout.print(line)
    if not report.ended:
        return
    stdout.print("the plan has ended; winners by the ratings of its runs:")
    for winner in report.winners:
        stdout.print(f"  {winner.key}: {_winner_text(winner)}")
    command = report.preset_command
    if command:
        stdout.print(f"save it as a preset: {command}")


def _winner_text(winner: Any) -> str:
    leader, runner_up = winner.evidence, winner.runner_up
    if winner.value is None:
        lead = (
            f" (leading: {leader.value}, mean {leader.mean:.2f})"
            if leader is not None and leader.mean is not None
            else ""
        )
        return f"{winner.note}{lead}"
    text = (
        f"{winner.value}, mean {leader.mean:.2f} [{leader.mean_low:.2f}, {leader.mean_high:.2f}] "
        f"over {leader.ratings} rating(s)"
    )
    if runner_up is not None and runner_up.mean is not None:
        text += f"; runner-up {runner_up.value}, mean {runner_up.mean:.2f} over {runner_up.ratings}"
    return text


def _status_json(report: PlanStatusReport) -> dict[str, Any]:
    from adapters.cli.plan_race import race_json
    from domain.plan_journal import CellState

    return {
        "plan_id": report.plan.plan_id,
        "name": report.plan.name,
        "counts": {str(state): report.count(state) for state in CellState},
        "ended": report.ended,
        "variants": [
            {
                "index": variant.variant.index,
                "values": dict(variant.variant.values),
                "excluded": variant.variant.excluded,
                "mean_rating": variant.mean_rating,
                "ratings": len(variant.ratings),
                "cells": [
                    {
                        "cell": cell.step.cell_id,
                        "prompt": cell.step.prompt_index,
                        "seed": cell.step.seed,
                        "state": str(cell.state),
                        "attempts": cell.attempts,
                        "error": cell.error,
                        "run_id": cell.run_id,
                        "ratings": list(cell.ratings),
                    }
                    for cell in variant.cells
                ],
            }
            for variant in report.variants
        ],
        "winners": [
            {
                "axis": winner.key,
                "value": winner.value,
                "note": winner.note,
                "evidence": winner.evidence.to_dict() if winner.evidence else None,
            }
            for winner in report.winners
        ],
        "race": race_json(report.race) if report.race is not None else None,
        "preset_command": report.preset_command,
    }


class _CellProgress:
    """One line per finished cell on stderr, and a bar over the cells with an ETA when stderr is a
    terminal (as ``run`` draws its stage bar); otherwise (a log) also a line when a cell starts."""

    def __init__(self) -> None:
        self._live = sys.stderr.isatty()
        self._bar: Any = None
        self._task: Any = None
        self._count = 0
        self._finished = 0

    def cells_planned(self, steps: tuple[LearningRunStep, ...]) -> None:
        self._count += len(steps)
        if not self._live:
            return
        if self._bar is None:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            columns = (
                TextColumn("cells"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
            )
            self._bar = Progress(*columns, console=stderr.console, transient=True)
            self._bar.start()
            self._task = self._bar.add_task("cells", total=self._count)
        else:
            self._bar.update(self._task, total=self._count)

    def cell_started(self, step: LearningRunStep, attempt: int) -> None:
        if not self._live:  # a log says which cell a long wait is spent on
            stderr.print(
                f"cell {self._finished + 1}/{self._count} {_cell_label(step)}: running (attempt {attempt})"
            )

    def cell_finished(self, step: LearningRunStep, attempt: CellAttempt) -> None:
        self._finished += 1
        outcome = (
            attempt.status
            if attempt.succeeded
            else f"{attempt.status}: {' '.join((attempt.error or '').split())}"
        )
        stderr.print(f"cell {self._finished}/{self._count} {_cell_label(step)}: {outcome}")
        if self._bar is not None:
            self._bar.advance(self._task)

    def retrying(self, step: LearningRunStep, attempt: CellAttempt, delay: float) -> None:
        reason = " ".join((attempt.error or "").split())
        stderr.print(
            f"retrying in {delay:g} s (attempt {attempt.attempt} failed: {reason}): {_cell_label(step)}"
        )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
