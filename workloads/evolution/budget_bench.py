"""The cross-seed budget rules compared on whole pools: ``improvement`` (today's) against ``rank`` and ``ucb``.

Setup: per edge (planted trend 0.3, weak trend 0.1, planted reversion 0.3) and repetition ``r``,
``generate(bars, 7000 + r, funding=True, …)``, every non-ML seed in one pool, population 16 per seed × 10
generations, ``random_seed = r``; a pair is two rules on the same data and seed. Reported per edge and pooled:
the sign test of the best training fitness across all seeds (the hall of fame's first entry) under each other rule
(after) against ``improvement`` (before) (:mod:`workloads.evolution.search_stats`). Usage:
``python -m workloads.evolution.budget_bench [--repetitions N] [--out FILE]``.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from workloads.data.synthetic import generate
from workloads.evolution.config import EvolutionConfig
from workloads.evolution.pool import Pool
from workloads.evolution.run import make_backend, plan_run
from workloads.evolution.search_stats import sign_test
from workloads.seeds.registry import all_seeds

EDGES = (("trend", 0.3), ("trend", 0.1), ("reversion", 0.3))
RULES = ("improvement", "rank", "ucb")
DEFAULT_RULE = "improvement"


def run_budget_comparison(
    repetitions: int = 10, bars: int = 3_000, population: int = 16, generations: int = 10
) -> dict[str, Any]:
    """Every pair's best fitness under each rule and the sign tests (see the module doc)."""
    registry = {name: seed for name, seed in all_seeds().items() if seed.kind != "ml"}
    rows = []
    for edge, strength in EDGES:
        for r in range(repetitions):
            data = generate(bars, 7000 + r, funding=True, edge=edge, edge_strength=strength)
            row: dict[str, Any] = {"edge": f"{edge} {strength:g}", "repetition": r}
            for rule in RULES:
                config = EvolutionConfig(
                    population=population, generations=generations, random_seed=r, budget_rule=rule
                )
                plan = plan_run(data, config, None, registry)
                backend = make_backend("local", plan)
                try:
                    pool = Pool(plan.seeds, config, backend)
                    state = pool.run(pool.new_state(rule, "budget-bench", plan.workload.train.fingerprint()))
                finally:
                    backend.close()
                row[rule] = state.hall_of_fame.entries[0].fitness
            rows.append(row)
    groups = {f"{e} {s:g}": [x for x in rows if x["edge"] == f"{e} {s:g}"] for e, s in EDGES} | {"all": rows}
    return {
        "setup": {"repetitions": repetitions, "bars": bars, "population": population, "generations": generations},
        "pairs": rows,
        "vs_default": {
            rule: {
                group: sign_test([x[rule] for x in members], [x[DEFAULT_RULE] for x in members]).as_json()
                for group, members in groups.items()
            }
            for rule in RULES
            if rule != DEFAULT_RULE
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=10)
    parser.add_argument("--out", help="Also write the whole result (every pair) as JSON here.")
    args = parser.parse_args(argv)
    result = run_budget_comparison(args.repetitions)
    if args.out:
        with open(args.out, "w") as handle:
            json.dump(result, handle, indent=2)
    for rule, groups in result["vs_default"].items():
        for group, t in groups.items():
            print(
                f"{rule} vs {DEFAULT_RULE} ({group}): {t['wins']}-{t['losses']} ties {t['ties']} p={t['p_value']:.2g}"
                + (" significant" if t["significant"] else " not significant")
            )


if __name__ == "__main__":
    main()
