"""The cross-seed budget rules compared on whole pools: ``improvement`` (today's) against ``rank`` and ``ucb``.

Setup: per edge (planted trend 0.3, weak trend 0.1, planted reversion 0.3) and repetition ``r``,
``generate(bars, 7000 + r, funding=True, …)``, every non-ML seed in one pool, population 16 per seed × 10
generations, ``random_seed = r``; a pair is two rules on the same data and seed. Reported per edge and pooled:
the sign test of the best training fitness across all seeds (the hall of fame's first entry) under each other rule
(after) against ``improvement`` (before) (:mod:`workloads.bench.search_stats`). Usage:
``python -m workloads.bench.budget_rules [--repetitions N] [--first-repetition R] [--out FILE]`` (or
``--merge A.json B.json``: the tests over the pairs of several runs).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from workloads.bench.search_stats import sign_test
from workloads.cache.base import InProcessCache
from workloads.data.synthetic import generate
from workloads.evolution.config import EvolutionConfig
from workloads.evolution.pool import Pool
from workloads.evolution.run import make_backend, plan_run
from workloads.seeds.registry import all_seeds

EDGES = (("trend", 0.3), ("trend", 0.1), ("reversion", 0.3))
RULES = ("improvement", "rank", "ucb")
DEFAULT_RULE = "improvement"


def run_budget_comparison(
    repetitions: int = 10, bars: int = 3_000, population: int = 16, generations: int = 10, first_repetition: int = 0
) -> dict[str, Any]:
    """Every pair's best fitness under each rule and the sign tests (see the module doc). The rules of a pair share
    one backend and one fitness cache (an evaluation is a pure function of the parameter row)."""
    registry = {name: seed for name, seed in all_seeds().items() if seed.kind != "ml"}
    rows = []
    for edge, strength in EDGES:
        for r in range(first_repetition, first_repetition + repetitions):
            data = generate(bars, 7000 + r, funding=True, edge=edge, edge_strength=strength)
            row: dict[str, Any] = {"edge": f"{edge} {strength:g}", "repetition": r}
            base = EvolutionConfig(population=population, generations=generations, random_seed=r)
            plan = plan_run(data, base, None, registry)
            backend = make_backend("local", plan)
            cache = InProcessCache()
            try:
                for rule in RULES:
                    config = base.with_overrides({"budget_rule": rule})
                    pool = Pool(plan.seeds, config, backend, cache)
                    state = pool.run(pool.new_state(rule, "budget-bench", plan.workload.train.fingerprint()))
                    row[rule] = state.hall_of_fame.entries[0].fitness
            finally:
                backend.close()
            rows.append(row)
    setup = {"repetitions": repetitions, "bars": bars, "population": population, "generations": generations}
    return summarize_pairs(setup, rows)


def summarize_pairs(setup: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The sign tests of every rule against the default, per edge and pooled, over ``rows`` (the pairs)."""
    groups = {f"{e} {s:g}": [x for x in rows if x["edge"] == f"{e} {s:g}"] for e, s in EDGES} | {"all": rows}
    return {
        "setup": setup,
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
    parser.add_argument("--first-repetition", type=int, default=0)
    parser.add_argument("--out", help="Also write the whole result (every pair) as JSON here.")
    parser.add_argument("--merge", nargs="+", help="Instead of running: the tests over the pairs of these results.")
    args = parser.parse_args(argv)
    if args.merge:
        loaded = [json.loads(Path(path).read_text()) for path in args.merge]
        setup = {**loaded[0]["setup"], "repetitions": sum(r["setup"]["repetitions"] for r in loaded)}
        result = summarize_pairs(setup, [pair for r in loaded for pair in r["pairs"]])
    else:
        result = run_budget_comparison(args.repetitions, first_repetition=args.first_repetition)
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
