"""Which objective picks strategies that do better out of sample: a dense-sample study on planted-edge data.

Per (landscape, repetition, seed): ``sample`` uniform genomes of the seed are scored on the training span of
``generate(bars, 2000 + r, …)`` (as :mod:`workloads.evolution.search_bench`'s synthetic landscapes) under each
objective, and each objective's **pick** is its best-scoring genome:

- ``fitness``, ``worst-segment``, ``mean-segment``: :func:`workloads.evolution.fitness.fitness_from_metrics` with
  that ``objective``;
- ``smoothed``: among the ``smooth_candidates`` best by ``fitness``, the one whose neighbourhood (each gene moved by
  ±1 and ±2 ``robust_step``, as the summary's robustness) has the highest mean ``fitness`` with itself — the robust
  plateau rather than the thin peak.

Out-of-sample quality is the mean annualised Sharpe over ``fresh_paths`` fresh paths of the same generator (random
seeds ``10_000 + 100·r + k``: the same edge, new noise), each a whole run over ``bars`` bars. Each pick is compared,
paired over the non-plateau seed-runs with the sign test, with the **median top-1% genome** (the median fresh-path
Sharpe of the genomes whose ``fitness`` is in the top ``top_share``: what a pick "by luck" among the near-top would
earn) and with the ``fitness`` pick.
"""

from __future__ import annotations

import statistics
import zlib
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from workloads.data.synthetic import generate
from workloads.evolution.config import EvolutionConfig
from workloads.evolution.fitness import fitness_from_metrics
from workloads.evolution.run import make_backend, plan_run
from workloads.evolution.search_stats import sign_test
from workloads.evolution.summary import NEIGHBOUR_STEPS
from workloads.kernels.metrics import SHARPE
from workloads.seeds.registry import all_seeds

OBJECTIVES = ("fitness", "worst-segment", "mean-segment", "smoothed")
EDGES = {"trend": ("trend", 0.5), "weak-trend": ("trend", 0.1), "reversion": ("reversion", 0.3)}


@dataclass(frozen=True)
class ObjectiveStudyConfig:
    """What the study runs (see the module doc)."""

    landscapes: tuple[str, ...] = ("trend", "weak-trend", "reversion")
    repetitions: int = 3
    bars: int = 3_000
    sample: int = 4_000
    fresh_paths: int = 5
    top_share: float = 0.01
    smooth_candidates: int = 20


def _neighbourhood_means(genomes: np.ndarray, seed: Any, backend: Any, name: str, config: EvolutionConfig) -> list:
    means = []
    for genome in genomes:
        rows = [genome]
        for gene in range(genome.shape[0]):
            for step in NEIGHBOUR_STEPS:
                moved = genome.copy()
                moved[gene] = min(1.0, max(0.0, moved[gene] + step * config.robust_step))
                rows.append(moved)
        params, _ = seed.repair(seed.genes.decode(np.vstack(rows)))
        means.append(float(fitness_from_metrics(backend.evaluate(name, params), config).mean()))
    return means


def _fresh_sharpe(name: str, params: np.ndarray, edge: tuple[str, float], setup: ObjectiveStudyConfig, r: int):
    """``(n,)`` mean annualised Sharpe of ``params`` over the fresh paths (whole runs, no holdout)."""
    config = EvolutionConfig(holdout=0.0, segments=1)
    total = np.zeros(params.shape[0])
    for k in range(setup.fresh_paths):
        bars = generate(setup.bars, 10_000 + 100 * r + k, funding=True, edge=edge[0], edge_strength=edge[1])
        plan = plan_run(bars, config, None, {name: all_seeds()[name]})
        backend = make_backend("local", plan)
        try:
            total += np.nan_to_num(backend.evaluate(name, params)[:, 0, SHARPE])
        finally:
            backend.close()
    return total / setup.fresh_paths


def run_objective_study(setup: ObjectiveStudyConfig | None = None) -> dict[str, Any]:
    """Every seed-run's picks and their fresh-path Sharpe, and the paired comparisons (see the module doc)."""
    setup = setup or ObjectiveStudyConfig()
    registry = {n: s for n, s in all_seeds().items() if s.kind != "ml"}
    rows = []
    for landscape in setup.landscapes:
        edge = EDGES[landscape]
        for r in range(setup.repetitions):
            bars = generate(setup.bars, 2000 + r, funding=True, edge=edge[0], edge_strength=edge[1])
            base = EvolutionConfig(random_seed=r)
            plan = plan_run(bars, base, None, registry)
            backend = make_backend("local", plan)
            try:
                for name in sorted(plan.seeds):
                    seed = plan.seeds[name]
                    rng = np.random.default_rng([r, 0x0B7, zlib.crc32(name.encode())])
                    params, _ = seed.repair(seed.genes.decode(rng.uniform(size=(setup.sample, len(seed.genes)))))
                    genomes = seed.genes.encode(params)
                    metrics = backend.evaluate(name, params)
                    scores = {
                        o: fitness_from_metrics(metrics, base.with_overrides({"objective": o})) for o in OBJECTIVES[:3]
                    }
                    fitness = scores["fitness"]
                    order = np.argsort(-fitness, kind="stable")
                    candidates = order[: setup.smooth_candidates]
                    smooth = _neighbourhood_means(genomes[candidates], seed, backend, name, base)
                    picks = {o: int(np.argmax(scores[o])) for o in OBJECTIVES[:3]}
                    picks["smoothed"] = int(candidates[int(np.argmax(smooth))])
                    top = order[: max(1, int(round(setup.top_share * setup.sample)))]
                    wanted = np.array(sorted({*picks.values(), *top.tolist()}))
                    fresh = dict(zip(wanted.tolist(), _fresh_sharpe(name, params[wanted], edge, setup, r), strict=True))
                    rows.append(
                        {
                            "landscape": landscape,
                            "repetition": r,
                            "seed": name,
                            "plateau": bool(np.mean(fitness >= fitness.max() - 1e-9) >= 0.01),
                            "train_best": float(fitness.max()),
                            "fresh": {o: float(fresh[i]) for o, i in picks.items()},
                            "fresh_top_median": float(statistics.median(fresh[i] for i in top.tolist())),
                        }
                    )
            finally:
                backend.close()
    return {"setup": asdict(setup), "seed_runs": rows, "summary": _summary(setup, rows)}


def _summary(setup: ObjectiveStudyConfig, rows: list[dict[str, Any]]) -> dict[str, Any]:
    live = [r for r in rows if not r["plateau"]]
    groups = {name: [r for r in live if r["landscape"] == name] for name in setup.landscapes} | {"all": live}
    out = {}
    for group, members in groups.items():
        if not members:
            continue
        out[group] = {
            "seed_runs": len(members),
            "vs_top_median": {
                o: sign_test([r["fresh"][o] for r in members], [r["fresh_top_median"] for r in members]).as_json()
                for o in OBJECTIVES
            },
            "vs_fitness": {
                o: sign_test([r["fresh"][o] for r in members], [r["fresh"]["fitness"] for r in members]).as_json()
                for o in OBJECTIVES[1:]
            },
            "median_fresh": {o: statistics.median(r["fresh"][o] for r in members) for o in OBJECTIVES}
            | {"top_median": statistics.median(r["fresh_top_median"] for r in members)},
        }
    return out


def format_objective_study(result: dict[str, Any]) -> str:
    """The study's comparisons as text."""
    s = result["setup"]
    lines = [
        f"objective study: {s['sample']:,} uniform genomes per seed-run, picks scored on {s['fresh_paths']} fresh "
        f"paths of the same generator; pick vs the median top-{s['top_share']:.0%} genome and vs the fitness pick"
    ]
    for group, block in result["summary"].items():
        med = block["median_fresh"]
        lines.append(
            f"{group} ({block['seed_runs']} seed-runs): median fresh Sharpe "
            + ", ".join(f"{k} {v:.2f}" for k, v in med.items())
        )
        for o, t in block["vs_top_median"].items():
            sig = "significant" if t["significant"] else "not significant"
            line = f"  {o:<14} vs top median {t['wins']}-{t['losses']} p={t['p_value']:.2g} ({sig})"
            if o in block["vs_fitness"]:
                f = block["vs_fitness"][o]
                line += f"; vs fitness pick {f['wins']}-{f['losses']} p={f['p_value']:.2g}"
            lines.append(line)
    return "\n".join(lines)
