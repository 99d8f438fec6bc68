"""Each ML seed's targets equal a plain-Python, bar-by-bar walk-forward written from its docstring
(``tests/seeds_ml/reference.py``): features of each bar from its own closes, labels from the next close, a refit
on the schedule, one prediction per close."""

from __future__ import annotations

import numpy as np
import pytest

from tests.seeds_ml import reference
from workloads.data.synthetic import generate
from workloads.seeds.strategies import linear_svc_classifier, pca_tree_quantile

CASES = [(generate(300, 5), 100, 17), (generate(290, 8), 130, 40)]


@pytest.mark.parametrize("c,n_lags", [(0.5, 5), (0.002, 20), (8.0, 2)])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_svc_targets_equal_the_plain_python_walk_forward(case, c, n_lags):
    bars, window, every = CASES[case]
    row = linear_svc_classifier.SEED.genes.row(
        {"train_window": window, "retrain_every": every, "C": c, "n_lags": n_lags}
    )
    expected = reference.svc_targets(bars.close.tolist(), window, every, c, n_lags)
    np.testing.assert_array_equal(linear_svc_classifier.SEED.targets(bars, row), expected)


@pytest.mark.parametrize("n_components,max_depth,quantile", [(3, 3, 0.7), (1, 2, 0.5), (8, 8, 0.95)])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_tree_targets_equal_the_plain_python_walk_forward(case, n_components, max_depth, quantile):
    bars, window, every = CASES[case]
    row = pca_tree_quantile.SEED.genes.row(
        {
            "train_window": window,
            "retrain_every": every,
            "n_components": n_components,
            "max_depth": max_depth,
            "quantile": quantile,
        }
    )
    expected = reference.tree_targets(bars.close.tolist(), window, every, n_components, max_depth, quantile)
    np.testing.assert_array_equal(pca_tree_quantile.SEED.targets(bars, row), expected)
