"""The kernel-target table: each figure against its target, met or not, only for the figures a run has."""

from __future__ import annotations

from workloads.bench.verdict import (
    SWEEP_OVERHEAD_TARGET_SECONDS,
    SWEEP_RATIO_TARGET,
    SWEEP_THREAD_RATIO_TARGET,
    format_load,
    verdict_text,
    verdicts,
)


def accounts(*ns: float) -> dict:
    passes = [{"name": f"pass {i}", "ns_per_individual_bar": v} for i, v in enumerate(ns)]
    return {"passes": passes, "target_ns": 1.5, "bars": 100_000, "population": 200}


def layout_row(seed: str, rate: float) -> dict:
    return {
        "seed": seed,
        "bars": 100_000,
        "population": 200,
        "simd_bar_evals_per_second": rate,
        "per_thread_target": 1e8,
        "per_thread_met": rate >= 1e8,
    }


def sweep(compute_speedup: float | None, wall: float, floor: float, compute: float) -> dict:
    figures = {
        "pairs": 1000,
        "bars": 100_000,
        "numba_floor_seconds": floor,
        "genepool": {"median_seconds": wall, "median_compute_seconds": compute},
        "process_overhead_seconds": wall - floor - compute,
        "process_overhead": {
            "floor_seconds": floor,
            "process_seconds": wall,
            "compute_seconds": compute,
            "seconds": wall - floor - compute,
        },
    }
    if compute_speedup is not None:
        figures["compute_speedup"] = compute_speedup
    return figures


def with_one_thread(figures: dict, ns: float) -> dict:
    return {**figures, "ns_per_pair_bar_per_thread": ns, "threads": 2}


def test_the_accounts_pass_is_judged_by_the_last_pass_timed():
    (row,) = verdicts({"accounts": accounts(2.5, 1.4)})
    assert row["met"] and "pass 0 2.50" in row["figure"] and "pass 1 1.40" in row["figure"]
    (row,) = verdicts({"accounts": accounts(1.4, 2.5)})
    assert not row["met"]


def test_each_fused_seed_is_a_row_against_1e8_per_thread():
    rows = verdicts({"layout": [layout_row("ema_crossover", 2.2e8), layout_row("vwap_reversion", 0.9e8)]})
    assert [(r["target"].split(",")[0], r["met"]) for r in rows] == [("ema_crossover", True), ("vwap_reversion", False)]


def test_the_sweep_ratio_and_the_process_overhead_are_two_rows():
    rows = verdicts({"sweep": sweep(SWEEP_RATIO_TARGET - 1, wall=1.0, floor=0.6, compute=0.2)})
    assert [r["met"] for r in rows] == [False, True]
    rows = verdicts({"sweep": sweep(SWEEP_RATIO_TARGET, wall=1.2, floor=0.6, compute=0.2)})
    assert [r["met"] for r in rows] == [True, False]
    assert rows[1]["goal"] == f"<= {SWEEP_OVERHEAD_TARGET_SECONDS} s"


def test_without_vectorbt_only_the_process_overhead_is_judged():
    rows = verdicts({"sweep": sweep(None, wall=1.0, floor=0.6, compute=0.2)})
    assert [r["target"] for r in rows] == ["genepool sweep beyond the Numba floor + compute"]


def test_the_sweep_per_thread_is_judged_against_the_accounts_pass_of_the_same_run():
    figures = with_one_thread(sweep(SWEEP_RATIO_TARGET, wall=1.0, floor=0.6, compute=0.2), ns=2.2)
    rows = verdicts({"accounts": accounts(2.5, 1.5), "sweep": figures})
    (row,) = [r for r in rows if r["target"].startswith("sweep compute per pair-bar per thread")]
    assert row["met"] and row["figure"] == "1.47x (2.20 ns vs 1.50 ns)"
    assert row["goal"] == f"<= {SWEEP_THREAD_RATIO_TARGET:g}x"
    (row,) = [r for r in verdicts({"accounts": accounts(1.4), "sweep": figures}) if "per thread" in r["target"]]
    assert not row["met"] and row["figure"].startswith("1.57x")


def test_the_sweep_rows_come_in_order_ratio_per_thread_overhead():
    figures = with_one_thread(sweep(SWEEP_RATIO_TARGET, wall=1.0, floor=0.6, compute=0.2), ns=2.0)
    rows = verdicts({"accounts": accounts(1.4), "sweep": figures})
    assert [r["target"].split(" (")[0] for r in rows[1:]] == [
        "sweep compute vs vectorbt",
        "sweep compute per pair-bar per thread vs the accounts pass",
        "genepool sweep beyond the Numba floor + compute",
    ]


def test_without_the_accounts_pass_the_sweep_per_thread_is_not_judged():
    rows = verdicts({"sweep": with_one_thread(sweep(None, wall=1.0, floor=0.6, compute=0.2), ns=2.0)})
    assert [r["target"] for r in rows] == ["genepool sweep beyond the Numba floor + compute"]


def test_the_headline_row_says_whether_it_was_measured():
    headline = {
        "measured": False,
        "generations_run": 3,
        "seconds": 150.0,
        "target_seconds": 180.0,
        "met": True,
        "bars": 1_000_000,
        "population": 200,
        "target_generations": 50,
    }
    (row,) = verdicts({"headline": headline})
    assert row["met"] and "extrapolated from 3 generations" in row["target"]
    (row,) = verdicts({"headline": {**headline, "measured": True, "seconds": 200.0, "met": False}})
    assert not row["met"] and "measured" in row["target"]


def test_a_run_without_kernel_figures_has_no_verdict_rows():
    assert verdicts({"search_quality": {}, "api": {}}) == []


def test_the_load_average_is_printed_per_moment():
    assert format_load({"before": [1.0, 0.5, 0.25], "after": [2.0, 1.5, 1.25]}) == (
        "before: 1.00 0.50 0.25, after: 2.00 1.50 1.25"
    )


def test_a_figure_from_a_smaller_run_than_the_targets_says_so():
    (full,) = verdicts({"accounts": accounts(1.4)})
    (small,) = verdicts({"accounts": {**accounts(1.4), "bars": 500}})
    assert full["full_size"] and verdict_text(full) == "met"
    assert not small["full_size"] and verdict_text(small) == "met (reduced size)"
    rows = verdicts({"sweep": {**sweep(400.0, wall=1.0, floor=0.6, compute=0.2), "pairs": 4}})
    assert [verdict_text(r) for r in rows] == ["met (reduced size)", "met (reduced size)"]
    figures = with_one_thread(sweep(400.0, wall=1.0, floor=0.6, compute=0.2), ns=2.0)
    (_, row, _) = verdicts({"sweep": figures, "accounts": {**accounts(1.4), "population": 70}})[1:]
    assert not row["full_size"]
