"""Search quality: per-seed regret of the GA and four baselines against a dense reference, paired and sign-tested.

Setup. For each landscape (:mod:`workloads.bench.search_landscapes`) and repetition ``r``: its bars, every
non-ML seed ready on them, default fitness and costs, ``random_seed = r``. For each seed:

- **reference**: ``reference_size`` uniform genomes of the seed's unit box (their own random stream), repaired and
  scored with the search's fitness; a method's best is placed against it (:class:`~workloads.evolution.
  search_stats.Reference`): the share of the space at least as good (lower is better), the gap to the reference
  maximum and whether it reached it. A seed whose reference ties its maximum over at least 1% of the space is a
  **plateau** and is reported apart (the maximum is then easy to reach and says nothing about the search);
- **equal evaluations**: each method (:mod:`workloads.bench.search_methods`) searches that seed alone, in
  batches of ``population``, up to the largest budget of distinct genomes (or 1.25 times its asks, where repair
  leaves fewer distinct genomes than the samplers propose); its best after each budget ``B`` is the maximum of the
  first ``B`` entries of its trace;
- **equal wall time**: the GA and each race opponent search the seed afresh, interleaved one batch at a time in this
  process (so machine load falls on both alike), each until its steps have used ``race_seconds``.

A seed-run is one (landscape, repetition, seed). The GA is compared with each baseline by the sign test over the
non-plateau seed-runs (:mod:`workloads.bench.search_stats`), per landscape and pooled; no figure is a median
across landscapes, whose fitness scales differ. GA variants (``variants``: labels to config overrides) run beside
the GA as further methods and are compared with it the same way. Wall-clock figures come with the load average
measured around the run. Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import os
import statistics
import time
import zlib
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import numpy as np

from workloads.bench.search_landscapes import landscapes
from workloads.bench.search_methods import (
    Racer,
    TracingPool,
    make_search,
    race,
    run_to_budget,
)
from workloads.bench.search_setup import SearchBenchConfig
from workloads.bench.search_stats import Reference, sign_test
from workloads.evolution.config import EvolutionConfig
from workloads.evolution.fitness import fitness_from_metrics
from workloads.evolution.run import make_backend, plan_run
from workloads.seeds.base import Seed
from workloads.seeds.registry import all_seeds

REFERENCE_STREAM = 0x5EA4C4
"""Mixed into the reference's random stream so it never repeats a method's draws."""
REFERENCE_CHUNK = 10_000


def dense_reference(backend: Any, name: str, seed: Seed, config: EvolutionConfig, size: int) -> Reference:
    """The fitness of ``size`` uniform genomes of ``seed`` (each distinct parameter row evaluated once)."""
    rng = np.random.default_rng([config.random_seed, REFERENCE_STREAM, zlib.crc32(name.encode())])
    params, _ = seed.repair(seed.genes.decode(rng.uniform(size=(size, len(seed.genes)))))
    distinct, inverse = np.unique(params, axis=0, return_inverse=True)
    fitness = np.concatenate(
        [
            fitness_from_metrics(backend.evaluate(name, distinct[i : i + REFERENCE_CHUNK]), config)
            for i in range(0, distinct.shape[0], REFERENCE_CHUNK)
        ]
    )
    return Reference(np.sort(fitness[inverse.reshape(-1)]))


def _pool(plan: Any, name: str, config: EvolutionConfig, backend: Any, label: str) -> TracingPool:
    pool = TracingPool({name: plan.seeds[name]}, config, backend)
    pool.state = pool.new_state(label, "search-bench", plan.workload.train.fingerprint())
    return pool


def _seed_run(
    plan: Any, name: str, backend: Any, setup: SearchBenchConfig, repetition: int, reference: Reference
) -> dict[str, Any]:
    base = EvolutionConfig(population=setup.population, random_seed=repetition)
    configs = {"ga": base.with_overrides(dict(setup.ga))}
    configs |= {label: configs["ga"].with_overrides(dict(o)) for label, o in setup.variants}
    top = max(setup.budgets)
    # a small discrete space (after repair) makes the samplers propose repeats: stop after 1.25x the budget's asks
    max_steps = (5 * top) // (4 * setup.population) + 2
    methods: dict[str, Any] = {}
    for method in setup.methods:
        config = configs.get(method, base)
        pool = _pool(plan, name, config, backend, method)
        search = make_search("ga" if method in configs else method, pool, name, setup.population)
        started = time.perf_counter()
        run_to_budget(search, pool, top, max_steps)
        seconds = time.perf_counter() - started
        trace = pool.trace()
        best = {b: max(trace[:b]) for b in setup.budgets}
        methods[method] = {
            "evaluations": len(trace),
            "seconds": seconds,
            "best": {str(b): v for b, v in best.items()},
            "regret": {str(b): reference.regret(v) for b, v in best.items()},
        }
    races = {}
    for opponent in setup.race_opponents:
        ga = _pool(plan, name, configs["ga"], backend, "race-ga")
        other = _pool(plan, name, base, backend, f"race-{opponent}")
        racers = [
            Racer(make_search("ga", ga, name, setup.population), ga),
            Racer(make_search(opponent, other, name, setup.population), other),
        ]
        race(racers, setup.race_seconds, max_steps=10_000)
        races[opponent] = {
            label: {
                "evaluations": len(r.pool.trace()),
                "seconds": r.seconds,
                "best": max(r.pool.trace()),
                "regret": reference.regret(max(r.pool.trace())),
            }
            for label, r in zip(("ga", opponent), racers, strict=True)
        }
    return {"methods": methods, "race": races}


def _compare(rows: list[dict[str, Any]], a: str, b: str, value: Any) -> dict[str, Any]:
    test = sign_test([value(r, a) for r in rows], [value(r, b) for r in rows])
    return test.as_json()


def summarize_rows(setup: SearchBenchConfig, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per budget (and the race): per landscape and pooled, the GA against each other method."""
    live = [r for r in rows if not r["plateau"]]
    groups = {name: [r for r in live if r["landscape"] == name] for name in setup.landscapes}
    groups["all"] = live
    out: dict[str, Any] = {"budgets": {}, "race": {}}
    for budget in map(str, setup.budgets):

        def best(row: dict[str, Any], method: str, budget: str = budget) -> float:
            return float(row["methods"][method]["best"][budget])

        per: dict[str, Any] = {}
        for group, members in groups.items():
            if not members:
                continue
            per[group] = {
                "seed_runs": len(members),
                "methods": {
                    m: {
                        "median_share": statistics.median(r["methods"][m]["regret"][budget]["share"] for r in members),
                        "hit_rate": sum(r["methods"][m]["regret"][budget]["hit"] for r in members) / len(members),
                    }
                    for m in setup.methods
                },
                "ga_vs": {m: _compare(members, "ga", m, best) for m in setup.methods if m != "ga"},
            }
            if group == "all":
                del per[group]["methods"]
        out["budgets"][budget] = per
    for opponent in setup.race_opponents:

        def raced(row: dict[str, Any], side: str, opponent: str = opponent) -> float:
            return float(row["race"][opponent][side]["best"])

        per = {}
        for group, members in groups.items():
            if not members:
                continue
            per[group] = {
                "seed_runs": len(members),
                "ga_vs": _compare(members, "ga", opponent, raced),
                "median_evaluations": {
                    side: statistics.median(r["race"][opponent][side]["evaluations"] for r in members)
                    for side in ("ga", opponent)
                },
            }
        out["race"][opponent] = per
    return out


def run_search_benchmark(
    setup: SearchBenchConfig | None = None, progress: Callable[[dict[str, Any], float], None] | None = None
) -> dict[str, Any]:
    """Every seed-run of ``setup`` and their paired comparisons (see the module doc); ``progress`` is given each
    seed-run's row as it ends, with the seconds since the start."""
    setup = setup or SearchBenchConfig()
    registry = {name: seed for name, seed in all_seeds().items() if seed.kind != "ml"}
    load_before = os.getloadavg()
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    for landscape in landscapes(setup.landscapes):
        for repetition in range(setup.first_repetition, setup.first_repetition + setup.repetitions):
            bars = landscape.load(repetition, setup.bars)
            config = EvolutionConfig(population=setup.population, random_seed=repetition)
            plan = plan_run(bars, config, None, registry)
            backend = make_backend("local", plan)
            try:
                for name in sorted(plan.seeds):
                    reference = dense_reference(backend, name, plan.seeds[name], config, setup.reference_size)
                    row = {
                        "landscape": landscape.name,
                        "repetition": repetition,
                        "seed": name,
                        "bars": len(bars),
                        "reference_max": reference.maximum,
                        "plateau": reference.plateau,
                    }
                    rows.append(row | _seed_run(plan, name, backend, setup, repetition, reference))
                    if progress is not None:
                        progress(rows[-1], time.perf_counter() - started)
            finally:
                backend.close()
    return {
        "setup": {
            **asdict(setup),
            "methods": list(setup.methods),
            "landscape_descriptions": {lnd.name: lnd.description for lnd in landscapes(setup.landscapes)},
        },
        "load": {
            "cpus": os.cpu_count(),
            "loadavg_before": list(load_before),
            "loadavg_after": list(os.getloadavg()),
            "seconds": time.perf_counter() - started,
        },
        "seed_runs": rows,
        "plateaus": sorted({f"{r['landscape']}/{r['seed']}" for r in rows if r["plateau"]}),
        "summary": summarize_rows(setup, rows),
    }


def _verdict(test: dict[str, Any]) -> str:
    mark = "significant" if test["significant"] else "not significant"
    return f"{test['wins']:>3}-{test['losses']:<3} ties {test['ties']:<3} p={test['p_value']:.2g} ({mark})"


def format_search_benchmark(result: dict[str, Any]) -> str:
    """The search-quality report as text: per budget and landscape, the GA against each method; then the race."""
    s, summary, load = result["setup"], result["summary"], result["load"]
    lines = [
        f"search quality: {len(s['landscapes'])} landscapes x {s['repetitions']} repetitions, every non-ML seed, "
        f"reference {s['reference_size']:,} uniform genomes per seed-run; batches of {s['population']}",
        "share = part of the seed's space at least as good as the method's best (lower is better); hit = reached "
        "the reference maximum; GA vs X = paired seed-runs where the GA's best is higher-lower (sign test)",
    ]
    if result["plateaus"]:
        lines.append(f"plateau seed-runs reported apart: {', '.join(result['plateaus'])}")
    for budget, per in summary["budgets"].items():
        lines.append(f"-- {budget} evaluations per seed --")
        for group, block in per.items():
            lines.append(f"{group} ({block['seed_runs']} seed-runs)")
            if "methods" in block:
                methods = block["methods"].items()
                shares = (f"{m} share {v['median_share']:.3%} hit {v['hit_rate']:.0%}" for m, v in methods)
                lines.append("  " + "  ".join(shares))
            for m, test in block["ga_vs"].items():
                lines.append(f"  ga vs {m:<24} {_verdict(test)}")
    for opponent, per in summary["race"].items():
        lines.append(
            f"-- equal wall time: {s['race_seconds']} s per seed-run, GA and {opponent} interleaved in one process "
            f"(load average {load['loadavg_before'][0]:.1f} before, {load['loadavg_after'][0]:.1f} after, "
            f"{load['cpus']} CPUs) --"
        )
        for group, block in per.items():
            ev = block["median_evaluations"]
            lines.append(
                f"  {group:<11} ({block['seed_runs']} seed-runs) ga vs {opponent}: {_verdict(block['ga_vs'])}; "
                f"median evaluations ga {ev['ga']:.0f}, {opponent} {ev[opponent]:.0f}"
            )
    return "\n".join(lines)


def markdown_tables(result: dict[str, Any]) -> str:
    """The figures docs/benchmarks.md and docs/evolution.md quote, as Markdown tables, from the bench's JSON (one
    row per landscape and the pooled row, per budget and the race; the GA against each method: wins-losses, p-value,
    significant)."""
    s, summary, load = result["setup"], result["summary"], result["load"]
    others = [m for m in s["methods"] if m != "ga"]
    out = []
    for budget, per in summary["budgets"].items():
        out += [
            f"GA vs each method at {budget} evaluations per seed (wins-losses over non-plateau seed-runs, sign-test "
            "p; **bold**: significant at 5%)",
            "",
            "| landscape | seed-runs | " + " | ".join(others) + " |",
            "|---|---|" + "---|" * len(others),
        ]
        for group, block in per.items():
            cells = []
            for m in others:
                t = block["ga_vs"][m]
                cell = f"{t['wins']}-{t['losses']} p={t['p_value']:.2g}"
                cells.append(f"**{cell}**" if t["significant"] else cell)
            out.append(f"| {group} | {block['seed_runs']} | " + " | ".join(cells) + " |")
        out += ["", "Median share of the space at least as good as the best found (lower is better); hit rate", ""]
        out += ["| landscape | " + " | ".join(s["methods"]) + " |", "|---|" + "---|" * len(s["methods"])]
        for group, block in per.items():
            if "methods" in block:
                cells = [
                    f"{block['methods'][m]['median_share']:.2%} / {block['methods'][m]['hit_rate']:.0%}"
                    for m in s["methods"]
                ]
                out.append(f"| {group} | " + " | ".join(cells) + " |")
        out.append("")
    for opponent, per in summary["race"].items():
        out += [
            f"Equal wall time ({s['race_seconds']} s per side per seed-run, interleaved in one process; load average "
            f"{load['loadavg_before'][0]:.1f} before, {load['loadavg_after'][0]:.1f} after, {load['cpus']} CPUs): "
            f"GA vs {opponent}",
            "",
            "| landscape | seed-runs | GA wins-losses | p | median evaluations GA / " + opponent + " |",
            "|---|---|---|---|---|",
        ]
        for group, block in per.items():
            t, ev = block["ga_vs"], block["median_evaluations"]
            verdict = f"**{t['p_value']:.2g}**" if t["significant"] else f"{t['p_value']:.2g}"
            out.append(
                f"| {group} | {block['seed_runs']} | {t['wins']}-{t['losses']} | {verdict} | "
                f"{ev['ga']:.0f} / {ev[opponent]:.0f} |"
            )
        out.append("")
    return "\n".join(out)


def merge_results(results: list[dict[str, Any]]) -> dict[str, Any]:
    """One result from runs of the same setup over disjoint landscapes or repetitions (their seed-runs together,
    the summary recomputed over all of them)."""
    first = results[0]
    reps = sorted({r["repetition"] for result in results for r in result["seed_runs"]})
    names = list(dict.fromkeys(name for result in results for name in result["setup"]["landscapes"]))
    merged = {"repetitions": len(reps), "first_repetition": reps[0], "landscapes": names}
    setup_fields = {k: v for k, v in first["setup"].items() if k in SearchBenchConfig.__dataclass_fields__}
    setup = SearchBenchConfig(**{**setup_fields, **merged})
    rows = [row for result in results for row in result["seed_runs"]]
    return {
        **first,
        "setup": {
            **first["setup"],
            **merged,
            "landscape_descriptions": {
                k: v for result in results for k, v in result["setup"]["landscape_descriptions"].items()
            },
        },
        "load": {
            "cpus": first["load"]["cpus"],
            "loadavg_before": min((r["load"]["loadavg_before"] for r in results), key=lambda v: v[0]),
            "loadavg_after": max((r["load"]["loadavg_after"] for r in results), key=lambda v: v[0]),
            "seconds": sum(r["load"]["seconds"] for r in results),
        },
        "seed_runs": rows,
        "plateaus": sorted({f"{r['landscape']}/{r['seed']}" for r in rows if r["plateau"]}),
        "summary": summarize_rows(setup, rows),
    }


def main(argv: list[str] | None = None) -> None:
    """``python -m workloads.bench.search --markdown RESULT.json [MORE.json]``: the Markdown tables of
    one result, or of several runs over disjoint repetitions merged (each file: ``genepool bench --only-search
    --out`` or the ``search_quality`` of a whole bench)."""
    import argparse
    import json
    from pathlib import Path

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--markdown", nargs="+", type=Path, required=True)
    args = parser.parse_args(argv)
    loaded = [json.loads(path.read_text()) for path in args.markdown]
    print(markdown_tables(merge_results([r.get("search_quality", r) for r in loaded])))


if __name__ == "__main__":
    main()
