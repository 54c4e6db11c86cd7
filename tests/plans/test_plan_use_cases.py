"""The plan use cases built by the container over real stores and the fake backend."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from dependency_injector import providers

from adapters.backends.fake import FakeImageBackend
from adapters.container import Container, build_container, plan_file
from adapters.settings import load_settings
from application.plan_run import Stop
from domain.config import PipelineConfig
from domain.images import ImageData, StageOutput
from domain.plan import LearningPlan
from domain.plan_journal import CellState
from tests.fakes import FakeClock
from tests.plans.workspace import SMALL_PLAN, plan_of, records, workspace


class CountingBackend(FakeImageBackend):
    """The fake backend, counting each generating call by the prompt, seed and steps it was for."""

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        self.calls: Counter[tuple[str, int, int]] = Counter()

    def txt2img(self, config: PipelineConfig) -> StageOutput:
        self.calls[(config.prompt, config.seed, config.steps)] += 1
        return super().txt2img(config)

    def upscale(self, image: ImageData, upscaler: str, scale: float) -> StageOutput:
        return super().upscale(image, upscaler, scale)


def _container(folder: Path, backend: FakeImageBackend) -> tuple[Container, dict[str, Any]]:
    settings, _layers = load_settings(folder / "settings.toml", environ={})
    container = build_container(settings)
    container.image_backend.override(providers.Object(backend))
    return container, settings.pipeline.model_dump()


def _plan(folder: Path, text: str | None = None) -> LearningPlan:
    if text is not None:
        (folder / "plan.toml").write_text(text, encoding="utf-8")
    return plan_file(folder / "plan.toml").plan


def test_a_grown_plan_reuses_every_finished_cell_with_no_backend_call(tmp_path: Path) -> None:
    folder = workspace(tmp_path)
    backend = CountingBackend()
    container, defaults = _container(folder, backend)
    first = container.run_plan()(_plan(folder), defaults)
    assert first.succeeded == 12
    old_calls = Counter(backend.calls)
    assert set(old_calls.values()) == {1}
    grown = _plan(
        folder,
        SMALL_PLAN.replace("values = [1, 2, 3]", "values = [1, 2, 3, 4]").replace("[1, 2]", "[1, 2, 3]"),
    )
    report = container.run_plan()(grown, defaults)
    assert report.done_before == 12
    assert report.cells == 24  # 4 steps x 2 prompts x 3 seeds
    assert report.succeeded == 12
    for key, count in backend.calls.items():
        assert count == 1, key  # the 12 old cells were not generated again
    assert sum(backend.calls.values()) == 24
    stored = records(folder)
    assert len(stored) == 24
    assert {r["plan_id"] for r in stored} == {first.plan_id, report.plan_id}


def test_the_estimate_from_history_is_within_15_percent_of_the_simulated_latency(tmp_path: Path) -> None:
    latency = 0.5
    folder = workspace(tmp_path)
    container, defaults = _container(folder, FakeImageBackend(latency=latency))
    plan = _plan(folder)
    container.run_plan()(plan, defaults, max_images=4)
    check = container.check_plan()(plan, defaults)
    assert check.done == 4
    assert len(check.pending) == 8
    # timed by model, sampler and size: the 4 cells run time the 8 left (steps do not matter here)
    per_cell = check.estimate.per_cell
    assert per_cell is not None
    assert abs(per_cell - latency) / latency <= 0.15
    assert (check.estimate.timed, check.estimate.untimed) == (8, 0)
    other_size = _plan(folder, SMALL_PLAN.replace("height = 64", "height = 128"))
    assert container.check_plan()(other_size, defaults).estimate.seconds is None  # no timing history


def test_the_estimate_reads_only_the_runs_of_the_plans_models_and_samplers_and_times_as_all_runs_would(
    tmp_path: Path,
) -> None:
    from dataclasses import replace

    from adapters.record_store.jsonl import JsonlRecordStore
    from domain.plan_estimate import StageTimings
    from domain.run import StageEvent, StageStatus
    from tests.factories import make_record

    folder = workspace(tmp_path)
    container, defaults = _container(folder, FakeImageBackend())
    plan = _plan(folder)
    container.run_plan()(plan, defaults, max_images=2)

    def timed(run_id: str, milliseconds: int, **config: Any) -> Any:
        record = make_record(run_id)
        event = StageEvent("txt2img", StageStatus.SUCCEEDED, duration_ms=milliseconds)
        settings = {**record.config, "width": 64, "height": 64, **config}
        return replace(record, config=settings, stage_events=(event,), resolved={})

    plan_model, plan_sampler = defaults["model"], defaults["sampler"]
    others = [
        timed("same0001", 900, model=plan_model, sampler=plan_sampler),
        timed("same0002", 700, model=plan_model, sampler=plan_sampler.upper()),  # samplers match in any case
        timed("model001", 50_000, model="another-model", sampler=plan_sampler),
        timed("sampl001", 60_000, model=plan_model, sampler="another sampler"),
        timed("sized001", 70_000, model=plan_model, sampler=plan_sampler, width=128),
        replace(timed("fail0001", 80_000, model=plan_model, sampler=plan_sampler), status="failed"),
    ]
    store = JsonlRecordStore(folder / "records" / "learning_records.jsonl")
    store.append_records(others)
    store.close()
    check = container.check_plan()(plan, defaults)
    every_run = StageTimings(container.history().iter_rows()).estimate(check.pending)
    assert check.estimate == every_run
    assert check.estimate.timed == len(check.pending) > 0


def test_status_names_the_winner_with_evidence_and_the_preset_command(tmp_path: Path) -> None:
    plan_text = (
        SMALL_PLAN.replace('"a red bicycle"', "")
        .replace(", ]", "]")
        .replace("seeds = [1, 2]", "seeds = [1, 2, 3, 4, 5, 6, 7, 8]")
        .replace("values = [1, 2, 3]", "values = [1, 4]")
    )
    folder = workspace(tmp_path, plan_text)
    container, defaults = _container(folder, FakeImageBackend())
    plan = _plan(folder)
    container.run_plan()(plan, defaults)
    before = container.plan_status()(plan, defaults)
    assert before.ended
    recorder = container.feedback_recorder()
    for record in records(folder):
        recorder.rate(record["run_id"], 5 if record["config"]["steps"] == 4 else 1)
    report = container.plan_status()(plan, defaults)
    assert report.count(CellState.DONE) == 16
    (winner,) = report.winners
    assert winner.key == "steps"
    assert winner.value == "4"
    assert winner.evidence is not None
    assert winner.evidence.verdict == "best"
    assert winner.runner_up is not None
    assert winner.runner_up.value == "1"
    assert winner.evidence.mean_low is not None
    assert winner.runner_up.mean_high is not None
    assert winner.evidence.mean_low > winner.runner_up.mean_high
    assert report.preset_command == "stablenew preset derive --pack tests --name small"
    assert [v.mean_rating for v in report.variants] == [1.0, 5.0]


def test_status_finds_a_plan_by_its_id_in_the_records(tmp_path: Path) -> None:
    folder = workspace(tmp_path)
    container, defaults = _container(folder, FakeImageBackend())
    plan = _plan(folder)
    container.run_plan()(plan, defaults, max_images=3)
    use_case = container.plan_status()
    found = use_case.by_id(plan.plan_id[:6])
    assert found == plan
    report = use_case(found, defaults)
    assert (report.count(CellState.DONE), report.count(CellState.PENDING)) == (3, 9)
    assert not report.ended
    assert report.winners == ()
    assert {plan_of(r)["definition"]["name"] for r in records(folder)} == {"small"}


def test_on_error_stop_ends_the_run_at_the_first_cell_failed_for_good(tmp_path: Path) -> None:
    plan_text = SMALL_PLAN.replace("width = 64\n", "width = 128\n").replace(
        "backoff_seconds", 'on_error = "stop"\nbackoff_seconds'
    )
    folder = workspace(tmp_path, plan_text)
    container, defaults = _container(folder, FakeImageBackend(oom_above=64 * 64))
    report = container.run_plan()(_plan(folder), defaults)
    assert report.stopped is Stop.ERROR
    assert len(report.ran) == 1
    assert "out of memory" in (report.stop_reason or "")


def test_max_minutes_is_checked_before_each_cell(tmp_path: Path) -> None:
    folder = workspace(tmp_path, SMALL_PLAN + "\n[budget]\nmax_minutes = 2.5\n")
    container, defaults = _container(folder, FakeImageBackend())
    container.clock.override(providers.Object(FakeClock(step=timedelta(seconds=20))))
    report = container.run_plan()(_plan(folder), defaults)
    assert report.stopped is Stop.BUDGET
    assert report.stop_reason == "budget.max_minutes 2.5 reached"
    assert 0 < len(report.ran) < 12


def test_a_dry_run_lists_only_the_cells_the_image_budgets_leave(tmp_path: Path) -> None:
    folder = workspace(tmp_path, SMALL_PLAN + "\n[budget]\nmax_images = 5\n")
    container, defaults = _container(folder, FakeImageBackend())
    run_plan = container.run_plan()
    assert len(run_plan(_plan(folder), defaults, dry_run=True).would_run) == 5
    assert len(run_plan(_plan(folder), defaults, max_images=3, dry_run=True).would_run) == 3
    assert run_plan(_plan(folder), defaults, max_images=2).succeeded == 2
    after = run_plan(_plan(folder), defaults, dry_run=True)
    assert [step.cell_id for step in after.would_run] == [
        step.cell_id for step, _attempt in run_plan(_plan(folder), defaults, max_images=3).ran
    ]
    assert len(records(folder)) == 5  # the two run plus the three checked against the dry run
