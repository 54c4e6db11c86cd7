"""PlanViews: the plans in the records, and the suggested A/B pairs of one plan."""

from __future__ import annotations

from pathlib import Path

from adapters.container import build_container, plan_file
from adapters.settings import load_settings
from tests.plans.workspace import plan_of, records, workspace


def test_pairs_put_the_best_rated_combination_against_each_rival_on_one_prompt_and_seed(
    tmp_path: Path,
) -> None:
    folder = workspace(tmp_path)  # steps 1, 2, 3 x 2 prompts x 2 seeds
    settings, _layers = load_settings(folder / "settings.toml", environ={})
    container = build_container(settings)
    defaults = settings.pipeline.model_dump()
    plan = plan_file(folder / "plan.toml").plan
    container.run_plan()(plan, defaults)
    recorder = container.feedback_recorder()
    for record in records(folder):
        recorder.rate(record["run_id"], 5 if plan_of(record)["variant"]["steps"] == 3 else 2)
    views = container.plan_views()
    assert [listed.plan_id for listed in views.plans()] == [plan.plan_id]
    view = views(plan.plan_id[:5], defaults)
    assert len(view.pairs) == 8  # the leader against 2 rivals on 4 prompt-and-seed samples
    assert {pair.a.step.variant.values["steps"] for pair in view.pairs} == {3}
    assert [pair.b.step.variant.values["steps"] for pair in view.pairs[:2]] == [1, 2]  # rivals take turns
    for pair in view.pairs:
        assert (pair.a.step.prompt_index, pair.a.step.seed) == (pair.b.step.prompt_index, pair.b.step.seed)
    first = view.pairs[0]
    assert first.a.run_id is not None
    assert first.b.run_id is not None
    recorder.choose(first.a.run_id, first.b.run_id)
    after = views(plan.plan_id, defaults)
    assert len(after.pairs) == 7
    assert all({pair.a.run_id, pair.b.run_id} != {first.a.run_id, first.b.run_id} for pair in after.pairs)
