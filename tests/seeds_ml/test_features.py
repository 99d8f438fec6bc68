"""``workloads.seeds.ml_features``: features equal their plain-Python definitions and use no future close; labels are
the next bar's return; the walk-forward schedule never trains on a label that needs a close after the fit."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from tests.seeds_ml import reference
from tests.seeds_ml.conftest import perturbed_after
from workloads.seeds.ml_features import (
    RSI_WINDOW,
    VOL_WINDOW,
    feature_matrix,
    feature_start,
    next_return,
    walk_forward_blocks,
    walk_forward_targets,
)


@pytest.mark.parametrize("n_lags", [2, 7, 20])
def test_feature_rows_equal_the_plain_python_definitions(bars, n_lags):
    close = bars.close.tolist()
    features = feature_matrix(bars.close, n_lags)
    assert features.shape == (len(bars), n_lags + 2)
    for t in range(feature_start(n_lags), len(bars), 7):
        np.testing.assert_allclose(
            features[t], reference.features_at(close, t, n_lags), rtol=1e-9, atol=1e-13, err_msg=f"bar {t}"
        )


@pytest.mark.parametrize("n_lags", [2, 20])
def test_rows_are_defined_exactly_from_feature_start(bars, n_lags):
    features = feature_matrix(bars.close, n_lags)
    start = feature_start(n_lags)
    assert start == max(n_lags, RSI_WINDOW, VOL_WINDOW)
    assert np.isfinite(features[start:]).all()
    assert np.isnan(features[start - 1]).any()


def test_a_feature_row_uses_no_close_after_its_bar(bars):
    features = feature_matrix(bars.close, 8)
    for t in (25, 100, 250):
        changed = feature_matrix(perturbed_after(bars, t, t).close, 8)
        np.testing.assert_array_equal(changed[: t + 1], features[: t + 1])
        assert not np.array_equal(changed[t + 1 :], features[t + 1 :])


def test_next_return_is_the_following_bars_simple_return(bars):
    labels = next_return(bars.close)
    close = bars.close.tolist()
    np.testing.assert_allclose(labels[:-1], [reference.next_return(close, j) for j in range(len(bars) - 1)], rtol=1e-15)
    assert np.isnan(labels[-1])


@pytest.mark.parametrize("n_bars,first,window,every", [(320, 20, 100, 17), (500, 20, 150, 10), (121, 20, 100, 200)])
def test_blocks_train_on_labels_known_at_the_fit_and_tile_the_rest(n_bars, first, window, every):
    blocks = walk_forward_blocks(n_bars, first, window, every)
    assert blocks[0].fit_at == first + window
    for block, following in zip(blocks, blocks[1:] + [None], strict=True):
        assert block.fit_at - block.train_start == window
        assert block.train_start >= first
        assert block.predict_stop == (following.fit_at if following else n_bars)
        assert block.predict_stop - block.fit_at <= every


def test_no_block_when_the_first_fit_is_past_the_data():
    assert walk_forward_blocks(120, 20, 100, 10) == []


def test_walk_forward_hands_each_fit_only_rows_before_it_and_labels_of_those_rows():
    n = 90
    features = np.arange(n, dtype=np.float64)[:, None]
    labels = np.arange(n, dtype=np.float64) + 0.5
    calls = []

    def fit_predict(x_train, y_train, x_predict):
        calls.append((x_train[:, 0].copy(), y_train.copy(), x_predict[:, 0].copy()))
        return np.full(x_predict.shape[0], float(len(calls)))

    targets = walk_forward_targets(features, labels, 20, 30, 15, fit_predict)
    assert [c[2][0] for c in calls] == [50, 65, 80]
    for x_train, y_train, x_predict in calls:
        t = int(x_predict[0])
        np.testing.assert_array_equal(x_train, np.arange(t - 30, t))
        np.testing.assert_array_equal(y_train, x_train + 0.5)
    np.testing.assert_array_equal(targets, np.repeat([0.0, 1.0, 2.0, 3.0], [50, 15, 15, 10]))


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan, np.inf])
def test_a_close_that_is_not_positive_and_finite_is_refused_naming_the_bar(bars, bad):
    close = bars.close.copy()
    close[37] = bad
    with pytest.raises(ValueError, match="bar 37 has close"):
        feature_matrix(close, 5)


def test_fits_run_with_one_blas_thread():
    seen = []

    def fit_predict(x_train, y_train, x_predict):
        seen.append({info["internal_api"]: info["num_threads"] for info in threadpool_info()})
        return np.zeros(x_predict.shape[0])

    walk_forward_targets(np.zeros((60, 1)), np.zeros(60), 20, 30, 15, fit_predict)
    assert seen and all(set(threads.values()) == {1} for threads in seen)
