"""Which objective picks strategies that do better out of sample: a dense-sample study on planted-edge and real data.

Per seed-run, ``sample`` uniform genomes of the seed are scored on a training span under each objective, and each
objective's **pick** is its best-scoring genome:

- ``fitness``, ``worst-segment``, ``mean-segment``: :func:`workloads.evolution.fitness.fitness_from_metrics` with
  that ``objective``;
- ``smoothed``: among the ``smooth_candidates`` best by ``fitness``, the one whose neighbourhood (each gene moved by
  ±1 and ±2 ``robust_step``, as the summary's robustness) has the highest mean ``fitness`` with itself — the robust
  plateau rather than the thin peak;
- ``nsga2``: the promoted member of the first non-dominated front over (Sharpe, drawdown, turnover), the one
  closest to the front's ideal point (:func:`workloads.evolution.nsga2.compromise`).

Out-of-sample quality, by landscape kind:

- synthetic (``trend``, ``weak-trend``, ``reversion``; repetition ``r`` trains on ``generate(bars, 2000 + r, …)``,
  as the search bench): the mean annualised Sharpe over ``fresh_paths`` fresh paths of the same generator (random
  seeds ``10_000 + 100·r + k``: the same edge, new noise), each a whole run over ``bars`` bars;
- real (``goog``, ``eurusd``, backtesting.py's data, one path, so one repetition): **walk-forward**. The bars are
  cut into ``folds + 2`` equal blocks, each evaluated with indicators warmed up on all earlier bars and fresh
  equity; fold ``k = 2 .. folds + 1`` trains on blocks ``0 .. k − 1`` (they are the training segments every
  objective reads) and tests the picks on block ``k``. A pick's out-of-sample figure is its mean test-block Sharpe
  over the folds.

Each pick is compared, paired over the non-plateau seed-runs with the sign test, with the **median top-share
genome** (the median out-of-sample Sharpe of the genomes whose ``fitness`` is in the top ``top_share``, per fold on
real data: what a pick "by luck" among the near-top would earn) and with the ``fitness`` pick.
"""

from __future__ import annotations

import argparse
import json
import statistics
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from workloads.bench.search_landscapes import LANDSCAPES
from workloads.bench.search_stats import sign_test
from workloads.data.synthetic import generate
from workloads.evolution.config import EvolutionConfig
from workloads.evolution.fitness import fitness_from_metrics
from workloads.evolution.nsga2 import compromise, strategy_objectives
from workloads.evolution.run import make_backend, plan_run
from workloads.evolution.summary import NEIGHBOUR_STEPS
from workloads.kernels.metrics import SHARPE
from workloads.seeds.registry import all_seeds

OBJECTIVES = ("fitness", "worst-segment", "mean-segment", "smoothed", "nsga2")
SCALAR = OBJECTIVES[:3]
EDGES = {"trend": ("trend", 0.5), "weak-trend": ("trend", 0.1), "reversion": ("reversion", 0.3)}
REAL = ("goog", "eurusd")


@dataclass(frozen=True)
class ObjectiveStudyConfig:
    """What the study runs (see the module doc). ``repetitions`` applies to the synthetic landscapes only;
    ``seeds``: only these seeds (empty: every non-ML seed)."""

    landscapes: tuple[str, ...] = ("trend", "weak-trend", "reversion", "goog", "eurusd")
    repetitions: int = 3
    first_repetition: int = 0
    bars: int = 3_000
    sample: int = 4_000
    fresh_paths: int = 5
    top_share: float = 0.01
    smooth_candidates: int = 20
    folds: int = 4
    seeds: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = [n for n in self.landscapes if n not in EDGES and n not in REAL]
        if unknown:
            raise ValueError(
                f"objective study: unknown landscape {', '.join(unknown)}; known: {', '.join(EDGES)}, {', '.join(REAL)}"
            )
        if self.folds < 1 or self.repetitions < 1 or self.sample < 10:
            raise ValueError("objective study: needs folds >= 1, repetitions >= 1 and sample >= 10")


def _neighbourhood(genome: np.ndarray, step: float) -> np.ndarray:
    """The genome and its neighbours: each gene moved by each of ``NEIGHBOUR_STEPS`` × ``step``, clipped."""
    rows = [genome]
    for gene in range(genome.shape[0]):
        for k in NEIGHBOUR_STEPS:
            moved = genome.copy()
            moved[gene] = min(1.0, max(0.0, moved[gene] + k * step))
            rows.append(moved)
    return np.vstack(rows)


def picks(
    metrics: np.ndarray,
    config: EvolutionConfig,
    smooth_candidates: int,
    neighbour_metrics: Callable[[int], np.ndarray],
) -> tuple[dict[str, int], np.ndarray]:
    """Each objective's pick (an index into the rows of ``metrics``, ``(n, segments, N_METRICS)``, the training
    segments) and the rows' order by ``fitness``, best first. ``neighbour_metrics(i)``: the metrics of row ``i``'s
    neighbourhood on the same segments."""
    scores = {o: fitness_from_metrics(metrics, config.with_overrides({"objective": o})) for o in SCALAR}
    order = np.argsort(-scores["fitness"], kind="stable")
    chosen = {o: int(np.argmax(scores[o])) for o in SCALAR}
    candidates = order[:smooth_candidates]
    smooth = [float(fitness_from_metrics(neighbour_metrics(int(i)), config).mean()) for i in candidates]
    chosen["smoothed"] = int(candidates[int(np.argmax(smooth))])
    chosen["nsga2"] = compromise(strategy_objectives(metrics))
    return chosen, order


def _fresh_sharpe(
    name: str, params: np.ndarray, edge: tuple[str, float], setup: ObjectiveStudyConfig, r: int
) -> np.ndarray:
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


def _sample(seed: Any, name: str, r: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng([r, 0x0B7, zlib.crc32(name.encode())])
    params, _ = seed.repair(seed.genes.decode(rng.uniform(size=(size, len(seed.genes)))))
    return params, seed.genes.encode(params)


def _neighbours(seed: Any, backend: Any, name: str, genomes: np.ndarray, step: float) -> Callable[[int], np.ndarray]:
    memo: dict[int, np.ndarray] = {}

    def metrics(i: int) -> np.ndarray:
        if i not in memo:
            params, _ = seed.repair(seed.genes.decode(_neighbourhood(genomes[i], step)))
            memo[i] = backend.evaluate(name, params)
        return memo[i]

    return metrics


def _first_segments(metrics: Callable[[int], np.ndarray], k: int) -> Callable[[int], np.ndarray]:
    """``metrics`` restricted to the first ``k`` segments (a walk-forward fold's training blocks)."""

    def first(i: int) -> np.ndarray:
        return metrics(i)[:, :k]

    return first


def _synthetic_rows(
    landscape: str, r: int, setup: ObjectiveStudyConfig, registry: dict[str, Any]
) -> list[dict[str, Any]]:
    edge = EDGES[landscape]
    bars = generate(setup.bars, 2000 + r, funding=True, edge=edge[0], edge_strength=edge[1])
    base = EvolutionConfig(random_seed=r)
    plan = plan_run(bars, base, None, registry)
    backend = make_backend("local", plan)
    rows = []
    try:
        for name in sorted(plan.seeds):
            seed = plan.seeds[name]
            params, genomes = _sample(seed, name, r, setup.sample)
            metrics = backend.evaluate(name, params)
            neighbours = _neighbours(seed, backend, name, genomes, base.robust_step)
            chosen, order = picks(metrics, base, setup.smooth_candidates, neighbours)
            top = order[: max(1, int(round(setup.top_share * setup.sample)))]
            wanted = np.array(sorted({*chosen.values(), *top.tolist()}))
            fresh = dict(zip(wanted.tolist(), _fresh_sharpe(name, params[wanted], edge, setup, r), strict=True))
            fitness = fitness_from_metrics(metrics, base)
            rows.append(
                {
                    "landscape": landscape,
                    "repetition": r,
                    "seed": name,
                    "measure": "fresh-paths",
                    "plateau": bool(np.mean(fitness >= fitness.max() - 1e-9) >= 0.01),
                    "train_best": float(fitness.max()),
                    "out_of_sample": {o: float(fresh[i]) for o, i in chosen.items()},
                    "top_median": float(statistics.median(fresh[i] for i in top.tolist())),
                }
            )
    finally:
        backend.close()
    return rows


def _walk_forward_rows(landscape: str, setup: ObjectiveStudyConfig, registry: dict[str, Any]) -> list[dict[str, Any]]:
    bars = LANDSCAPES[landscape].load(0, setup.bars)
    blocks = EvolutionConfig(holdout=0.0, segments=setup.folds + 2)
    base = EvolutionConfig()
    plan = plan_run(bars, blocks, None, registry)
    backend = make_backend("local", plan)
    rows = []
    try:
        for name in sorted(plan.seeds):
            seed = plan.seeds[name]
            params, genomes = _sample(seed, name, 0, setup.sample)
            metrics = backend.evaluate(name, params)
            every = _neighbours(seed, backend, name, genomes, base.robust_step)
            outcome = dict.fromkeys(OBJECTIVES, 0.0)
            top_median = 0.0
            for k in range(2, setup.folds + 2):
                chosen, order = picks(metrics[:, :k], base, setup.smooth_candidates, _first_segments(every, k))
                test = np.nan_to_num(metrics[:, k, SHARPE])
                top = order[: max(1, int(round(setup.top_share * setup.sample)))]
                for o, i in chosen.items():
                    outcome[o] += float(test[i]) / setup.folds
                top_median += float(np.median(test[top])) / setup.folds
            fitness = fitness_from_metrics(metrics[:, : setup.folds + 1], base)
            rows.append(
                {
                    "landscape": landscape,
                    "repetition": 0,
                    "seed": name,
                    "measure": "walk-forward",
                    "plateau": bool(np.mean(fitness >= fitness.max() - 1e-9) >= 0.01),
                    "train_best": float(fitness.max()),
                    "out_of_sample": outcome,
                    "top_median": top_median,
                }
            )
    finally:
        backend.close()
    return rows


def run_objective_study(
    setup: ObjectiveStudyConfig | None = None, progress: Callable[[dict[str, Any]], None] | None = None
) -> dict[str, Any]:
    """Every seed-run's picks and their out-of-sample Sharpe, and the paired comparisons (see the module doc).
    ``progress`` is given the result so far after each landscape and repetition."""
    setup = setup or ObjectiveStudyConfig()
    registry = {n: s for n, s in all_seeds().items() if s.kind != "ml" and (not setup.seeds or n in setup.seeds)}
    rows: list[dict[str, Any]] = []
    for landscape in setup.landscapes:
        for r in range(
            setup.first_repetition, setup.first_repetition + (1 if landscape in REAL else setup.repetitions)
        ):
            if landscape in REAL:
                rows += _walk_forward_rows(landscape, setup, registry)
            else:
                rows += _synthetic_rows(landscape, r, setup, registry)
            if progress is not None:
                progress({"setup": asdict(setup), "seed_runs": rows, "summary": summarize(setup.landscapes, rows)})
    return {"setup": asdict(setup), "seed_runs": rows, "summary": summarize(setup.landscapes, rows)}


def summarize(landscapes: tuple[str, ...] | list[str], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per landscape and pooled (``all``): each pick against the median top-share genome and the ``fitness`` pick."""
    live = [r for r in rows if not r["plateau"]]
    groups = {name: [r for r in live if r["landscape"] == name] for name in landscapes} | {"all": live}
    out = {}
    for group, members in groups.items():
        if not members:
            continue
        out[group] = {
            "seed_runs": len(members),
            "vs_top_median": {
                o: sign_test([r["out_of_sample"][o] for r in members], [r["top_median"] for r in members]).as_json()
                for o in OBJECTIVES
            },
            "vs_fitness": {
                o: sign_test(
                    [r["out_of_sample"][o] for r in members], [r["out_of_sample"]["fitness"] for r in members]
                ).as_json()
                for o in OBJECTIVES[1:]
            },
            "median_out_of_sample": {o: statistics.median(r["out_of_sample"][o] for r in members) for o in OBJECTIVES}
            | {"top_median": statistics.median(r["top_median"] for r in members)},
        }
    return out


def merge_studies(results: list[dict[str, Any]]) -> dict[str, Any]:
    """One result from studies over disjoint landscapes (their seed-runs together, the summary recomputed)."""
    names = list(dict.fromkeys(n for result in results for n in result["setup"]["landscapes"]))
    rows = [row for result in results for row in result["seed_runs"]]
    return {"setup": {**results[0]["setup"], "landscapes": names}, "seed_runs": rows, "summary": summarize(names, rows)}


def format_objective_study(result: dict[str, Any]) -> str:
    """The study's comparisons as text."""
    s = result["setup"]
    lines = [
        f"objective study: {s['sample']:,} uniform genomes per seed-run; picks scored out of sample (synthetic: "
        f"{s['fresh_paths']} fresh paths of the same generator; real data: {s['folds']} walk-forward folds); pick "
        f"vs the median top-{s['top_share']:.0%} genome and vs the fitness pick"
    ]
    for group, block in result["summary"].items():
        med = block["median_out_of_sample"]
        lines.append(
            f"{group} ({block['seed_runs']} seed-runs): median out-of-sample Sharpe "
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


def markdown_table(result: dict[str, Any]) -> str:
    """Per landscape and pooled: each pick against the median top-share genome (wins-losses, p; bold when
    significant at 5%), then each pick against the ``fitness`` pick."""

    def cell(t: dict[str, Any]) -> str:
        text = f"{t['wins']}-{t['losses']} p={t['p_value']:.2g}"
        return f"**{text}**" if t["significant"] else text

    out = ["| landscape | seed-runs | " + " | ".join(f"`{o}`" for o in OBJECTIVES) + " |"]
    out.append("|---|---|" + "---|" * len(OBJECTIVES))
    for group, block in result["summary"].items():
        cells = [cell(block["vs_top_median"][o]) for o in OBJECTIVES]
        out.append(f"| {group} | {block['seed_runs']} | " + " | ".join(cells) + " |")
    out += ["", "| landscape | " + " | ".join(f"`{o}` vs `fitness`" for o in OBJECTIVES[1:]) + " |"]
    out.append("|---|" + "---|" * (len(OBJECTIVES) - 1))
    for group, block in result["summary"].items():
        out.append(f"| {group} | " + " | ".join(cell(block["vs_fitness"][o]) for o in OBJECTIVES[1:]) + " |")
    out += ["", "| landscape | " + " | ".join(f"`{o}`" for o in OBJECTIVES) + " | median top genome |"]
    out.append("|---|" + "---|" * (len(OBJECTIVES) + 1))
    for group, block in result["summary"].items():
        if group == "all":
            continue  # a median across landscapes would rank the landscapes, not the objectives
        med = block["median_out_of_sample"]
        out.append(f"| {group} | " + " | ".join(f"{med[o]:.2f}" for o in (*OBJECTIVES, "top_median")) + " |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    """``python -m workloads.bench.objective_study [--landscapes A,B] [--repetitions N] --out FILE``, or
    ``--markdown RESULT.json [MORE.json]`` to print the tables of studies over disjoint landscapes merged."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--landscapes", default=",".join(ObjectiveStudyConfig.landscapes))
    parser.add_argument("--repetitions", type=int, default=ObjectiveStudyConfig.repetitions)
    parser.add_argument("--first-repetition", type=int, default=0)
    parser.add_argument("--out")
    parser.add_argument("--markdown", nargs="+")
    args = parser.parse_args(argv)
    if args.markdown:
        loaded = [json.loads(Path(path).read_text()) for path in args.markdown]
        print(markdown_table(merge_studies([r.get("objective_study", r) for r in loaded])))
        return
    setup = ObjectiveStudyConfig(
        landscapes=tuple(args.landscapes.split(",")),
        repetitions=args.repetitions,
        first_repetition=args.first_repetition,
    )

    def write(result: dict[str, Any]) -> None:
        if args.out:
            Path(args.out).write_text(json.dumps(result, indent=2))
        print(f"{len(result['seed_runs'])} seed-runs done", flush=True)

    print(format_objective_study(run_objective_study(setup, write)))


if __name__ == "__main__":
    main()
