"""The accounts-pass figure: the trivial rule through the previous and the current pass, timed on one thread, side
by side."""

from __future__ import annotations

import numba
import numpy as np

from workloads.bench.accounts import ACCOUNTS_PASSES, AccountsBenchConfig, accounts_bench, time_pass
from workloads.kernels.metrics import METRIC_NAMES

TINY = AccountsBenchConfig(bars=600, population=5, repeats=1)


def test_every_pass_is_timed_on_the_same_bars_and_agrees_with_the_current_one():
    figures = accounts_bench(TINY)
    assert [p["name"] for p in figures["passes"]] == [name for name, _ in ACCOUNTS_PASSES]
    for timed in figures["passes"]:
        assert timed["identical"] and timed["ns_per_individual_bar"] > 0
        assert timed["ns_per_individual_bar"] == timed["seconds"] / (600 * 5) * 1e9


def test_the_trivial_rule_holds_one_position_to_the_end():
    _, metrics = time_pass(ACCOUNTS_PASSES[-1][1], TINY)
    assert np.all(metrics[:, METRIC_NAMES.index("trades")] == 1)


def test_the_figure_runs_on_one_thread_and_restores_the_threads():
    before = numba.get_num_threads()
    time_pass(ACCOUNTS_PASSES[-1][1], TINY)
    assert numba.get_num_threads() == before
