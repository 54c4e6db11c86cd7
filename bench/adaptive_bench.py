"""The adaptive design against spreading ratings evenly, on simulated raters (issue 14, part 6).

Six combinations (3 samplers x 2 step counts) have known true qualities (mean stars); a rating of a
run is the quality plus normal noise, rounded and clipped to 1-5 stars. Each simulation drives the
real rule (``domain.plan_adaptive.adaptive_outcome`` over a journal, as ``plan run`` does) and
rates each round's runs at once. Even spreading rates every cell of the plan (every combination on
every prompt and seed) and picks the highest mean. Seeded: the same command gives the same figures.

    uv run python -m bench.adaptive_bench [--simulations 300] [--seed 14] [--write]
"""

from __future__ import annotations

import argparse
import random
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bench.report import write_section
from domain.plan import LearningPlan
from domain.plan_adaptive import RaceState, adaptive_outcome, samples_of
from domain.plan_cells import LearningRunStep, plan_steps
from domain.plan_journal import CellAttempt, PlanJournal

COMMAND = "uv run python -m bench.adaptive_bench --simulations {simulations} --seed {seed} --write"
QUALITIES = (4.0, 3.3, 3.2, 3.0, 2.7, 2.4)
"""True mean stars of the six combinations, in grid order; the first is the best."""
NOISE = 1.0
SEEDS = 30
PROMPTS = 2


def bench_plan(warmup: int = 4, per_round: int = 2, confidence: float = 0.95) -> LearningPlan:
    return LearningPlan.from_dict(
        {
            "name": "adaptive-bench",
            "pack": "bench",
            "prompts": [f"prompt {number}" for number in range(PROMPTS)],
            "seeds": list(range(1, SEEDS + 1)),
            "axes": [
                {"key": "sampler", "values": ["Euler a", "DPM++ 2M", "DDIM"]},
                {"key": "steps", "values": [20, 30]},
            ],
            "design": {
                "kind": "adaptive",
                "warmup": warmup,
                "per_round": per_round,
                "confidence": confidence,
            },
        }
    )


def rating(quality: float, rng: random.Random) -> int:
    return min(5, max(1, round(rng.gauss(quality, NOISE))))


@dataclass(frozen=True, slots=True)
class Simulation:
    picked: int  # the winner, or the leader when the race was spent
    confident: bool
    ratings: int


def simulate(
    plan: LearningPlan, steps: Sequence[LearningRunStep], qualities: Sequence[float], rng: random.Random
) -> Simulation:
    """One adaptive race to its end, every round rated at once."""
    journal = PlanJournal()
    ratings: dict[str, list[int]] = {}
    while True:
        outcome = adaptive_outcome(plan, steps, journal, ratings)
        if not outcome.batch:
            break
        for step in outcome.batch:
            journal.add(CellAttempt(step.cell_id, step.cell_id, 1, "succeeded", image_count=1))
            ratings[step.cell_id] = [rating(qualities[step.variant.index], rng)]
    leader = outcome.race.leader
    assert leader is not None
    assert outcome.state in (RaceState.WON, RaceState.SPENT)
    return Simulation(leader.arm, outcome.state is RaceState.WON, len(ratings))


def even_pick(arms: Sequence[int], per_arm: int, qualities: Sequence[float], rng: random.Random) -> int:
    """``per_arm`` ratings of every arm; the arm with the highest mean rating (ties: the first)."""
    means = {arm: statistics.fmean(rating(qualities[arm], rng) for _ in range(per_arm)) for arm in arms}
    return max(means, key=lambda arm: (means[arm], -arm))


def measure(simulations: int, seed: int) -> dict[str, float]:
    plan = bench_plan()
    steps = plan_steps(plan, {})
    arms = samples_of(plan, steps)
    rng = random.Random(seed)
    runs = [simulate(plan, steps, QUALITIES, rng) for _ in range(simulations)]
    evens = [even_pick(list(arms), SEEDS * PROMPTS, QUALITIES, rng) for _ in range(simulations)]
    spent = statistics.fmean(run.ratings for run in runs)
    same = max(1, round(spent / len(arms)))
    evens_same = [even_pick(list(arms), same, QUALITIES, rng) for _ in range(simulations)]
    return {
        "simulations": simulations,
        "correct": sum(1 for run in runs if run.picked == 0) / simulations,
        "confident": sum(1 for run in runs if run.confident) / simulations,
        "wrong_confident": sum(1 for run in runs if run.confident and run.picked != 0) / simulations,
        "ratings_mean": statistics.fmean(run.ratings for run in runs),
        "ratings_max": max(run.ratings for run in runs),
        "even_ratings": len(steps),
        "even_correct": sum(1 for pick in evens if pick == 0) / simulations,
        "even_same_ratings": same * len(arms),
        "even_same_correct": sum(1 for pick in evens_same if pick == 0) / simulations,
    }


def markdown(figures: Mapping[str, float], seed: int) -> str:
    plan = bench_plan()
    design = plan.design
    adaptive = (
        f"{figures['correct']:.1%} | {figures['confident']:.1%} (wrong: {figures['wrong_confident']:.1%}) | "
        f"{figures['ratings_mean']:.0f} / {int(figures['ratings_max'])}"
    )
    even = f"{figures['even_correct']:.1%} | - | {int(figures['even_ratings'])}"
    same = f"{figures['even_same_correct']:.1%} | - | {int(figures['even_same_ratings'])}"
    return f"""## Adaptive plans: finding the best combination with fewer ratings

Six combinations (3 samplers x 2 step counts) with true mean stars {", ".join(map(str, QUALITIES))}
(the first is best); a rating is the true mean plus normal noise (sd {NOISE}), rounded to 1-5 stars.
The plan has {PROMPTS} prompts x {SEEDS} seeds = {PROMPTS * SEEDS} samples per combination; the
adaptive design runs `warmup = {design.warmup}`, `per_round = {design.per_round}`,
`confidence = {design.confidence}`, every round rated at once.
{int(figures["simulations"])} simulations, seed {seed}.

| design | picks the true best | confident winner | ratings used (mean / max) |
|---|---|---|---|
| adaptive (winner, or the leader when the samples ran out) | {adaptive} |
| even: every cell rated once, highest mean | {even} |
| even, about as many ratings as adaptive used, highest mean | {same} |
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simulations", type=int, default=300)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--write", action="store_true", help="write the figures into docs/performance.md")
    args = parser.parse_args()
    figures = measure(args.simulations, args.seed)
    text = markdown(figures, args.seed)
    print(text)
    if args.write:
        write_section("adaptive", text, COMMAND.format(simulations=args.simulations, seed=args.seed))


if __name__ == "__main__":
    main()
