"""Both ML seeds: no look-ahead, labels never from the future, warm-up, determinism, genes, and the population path
(``evaluate``) equal to the single backtest (``run``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.seeds_ml.conftest import N_BARS, flat_bars, perturbed_after, small_row
from workloads.data.calendar import infer_bars_per_year
from workloads.kernels.metrics import METRIC_NAMES
from workloads.kernels.simulate import SimConfig
from workloads.seeds.ml_features import feature_matrix, feature_start, next_return
from workloads.seeds.strategies import linear_svc_classifier, pca_tree_quantile

FIRST_FIT = 120  # feature_start (20) + train_window (100) of the small rows
EVERY = 17


@pytest.mark.parametrize(
    "t",
    [
        FIRST_FIT - 1,
        FIRST_FIT,
        FIRST_FIT + 1,
        FIRST_FIT + EVERY - 1,
        FIRST_FIT + EVERY,
        FIRST_FIT + 3 * EVERY + 5,
        N_BARS - 2,
    ],
)
def test_changing_bars_after_t_leaves_targets_up_to_t_unchanged(seed, bars, t):
    row = small_row(seed)
    before = seed.targets(bars, row)
    after = seed.targets(perturbed_after(bars, t, random_seed=t), row)
    np.testing.assert_array_equal(after[: t + 1], before[: t + 1])


def test_the_future_does_change_later_targets(seed, bars):
    row = small_row(seed)
    t = FIRST_FIT + EVERY - 1
    assert not np.array_equal(
        seed.targets(perturbed_after(bars, t, random_seed=1), row)[t + 1 :], seed.targets(bars, row)[t + 1 :]
    )


class Recorder:
    """Wraps a scikit-learn model and logs every fit and predict with the bar indices of its rows."""

    def __init__(self, model, row_index, log):
        self.model, self.row_index, self.log = model, row_index, log

    def _bars(self, x):
        return [self.row_index[tuple(r)] for r in x]

    def fit(self, x, y):
        self.log.append(("fit", self._bars(x), np.array(y)))
        self.model.fit(x, y)
        return self

    def predict(self, x):
        self.log.append(("predict", self._bars(x)))
        return self.model.predict(x)


def recorded_fits(monkeypatch, module, factory_name, seed, bars, n_lags):
    """Run the seed with its model factory wrapped; return ``[(train bars, labels, first predicted bar)]``."""
    features = feature_matrix(bars.close, n_lags)
    row_index = {tuple(r): j for j, r in enumerate(features) if j >= feature_start(n_lags)}
    assert len(row_index) == len(bars) - feature_start(n_lags)  # rows identify their bar
    log = []
    real = getattr(module, factory_name)
    monkeypatch.setattr(module, factory_name, lambda *a: Recorder(real(*a), row_index, log))
    seed.targets(bars, small_row(seed))
    fits = []
    for k, entry in enumerate(log):
        if entry[0] == "fit":
            fits.append((entry[1], entry[2], log[k + 1][1][0]))
    return fits


def test_svc_trains_at_t_only_on_samples_whose_label_is_known_at_t(monkeypatch, bars):
    seed = linear_svc_classifier.SEED
    fits = recorded_fits(monkeypatch, linear_svc_classifier, "classifier", seed, bars, 5)
    assert [t for _, _, t in fits] == list(range(FIRST_FIT, N_BARS, EVERY))
    returns = next_return(bars.close)
    for train, labels, t in fits:
        assert max(train) + 1 <= t, f"fit at {t} used the label of bar {max(train)} (needs close[{max(train) + 1}])"
        assert max(train) == t - 1 and min(train) >= t - 100
        np.testing.assert_array_equal(labels, np.sign(returns[train]))


def test_tree_trains_at_t_only_on_samples_whose_label_is_known_at_t(monkeypatch, bars):
    seed = pca_tree_quantile.SEED
    fits = recorded_fits(monkeypatch, pca_tree_quantile, "regressor", seed, bars, pca_tree_quantile.N_LAGS)
    assert [t for _, _, t in fits] == list(range(FIRST_FIT, N_BARS, EVERY))
    returns = next_return(bars.close)
    for train, labels, t in fits:
        assert train == list(range(t - 100, t)), f"fit at {t} trained on bars {train[0]}..{train[-1]}"
        np.testing.assert_array_equal(labels, returns[train])


@pytest.mark.parametrize("train_window", [100, 173])
def test_warm_up_is_zero_exposure_and_trading_starts_at_the_first_fit(seed, bars, train_window):
    row = small_row(seed, train_window=train_window)
    warm = seed.lookback(row)
    assert warm == 20 + train_window
    targets = seed.targets(bars, row)
    assert (targets[:warm] == 0.0).all()
    assert (targets[warm:] != 0.0).any()
    assert set(np.unique(targets)) <= {-1.0, 0.0, 1.0}


def test_too_few_bars_for_a_first_fit_is_all_flat(seed, bars):
    row = small_row(seed)
    short = bars.slice(0, seed.lookback(row))
    np.testing.assert_array_equal(seed.targets(short, row), np.zeros(len(short)))


def test_a_flat_market_is_never_traded(seed):
    flat = flat_bars(260)
    np.testing.assert_array_equal(seed.targets(flat, small_row(seed)), np.zeros(260))


def test_svc_exposure_is_always_a_direction_after_warm_up(bars):
    seed = linear_svc_classifier.SEED
    row = small_row(seed)
    targets = seed.targets(bars, row)
    assert set(np.unique(targets[seed.lookback(row) :])) == {-1.0, 1.0}


def test_same_input_gives_the_same_targets(seed, bars):
    row = small_row(seed)
    first = seed.targets(bars, row)
    copy = type(bars).from_arrays(
        bars.timestamp.copy(),
        bars.open.copy(),
        bars.high.copy(),
        bars.low.copy(),
        bars.close.copy(),
        bars.volume.copy(),
    )
    np.testing.assert_array_equal(seed.targets(copy, row), first)
    np.testing.assert_array_equal(seed.targets(bars, row), first)


TARGETS_IN_A_FRESH_PROCESS = """
import sys
from tests.seeds_ml.conftest import N_BARS, small_row
from workloads.data.synthetic import generate
from workloads.seeds.registry import get_seed
seed = get_seed(sys.argv[1])
sys.stdout.write(seed.targets(generate(N_BARS, 11), small_row(seed)).tobytes().hex())
"""


def test_a_fresh_process_computes_the_same_targets(seed, bars):
    done = subprocess.run(
        [sys.executable, "-c", TARGETS_IN_A_FRESH_PROCESS, seed.name],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert bytes.fromhex(done.stdout) == seed.targets(bars, small_row(seed)).tobytes()


def test_an_individual_scores_the_same_wherever_it_sits_in_the_population(seed, bars):
    sim = SimConfig(0.001, 0.0005, False, 0.0, infer_bars_per_year(bars.timestamp))
    row = small_row(seed)
    other = seed.genes.decode(np.random.default_rng(3).random((3, len(seed.genes))))
    other[:, 0] = 100  # train_window: keep the population small enough to trade on 320 bars
    population = np.vstack([row, other[:2], row, other[2:]])
    metrics = seed.evaluate(bars, population, sim)
    np.testing.assert_array_equal(metrics[0], metrics[3])
    np.testing.assert_array_equal(metrics[0], seed.evaluate(bars, row, sim)[0])


@pytest.mark.parametrize("trade_start", [0, 200])
@pytest.mark.parametrize("long_only", [False, True])
def test_evaluate_of_a_population_equals_run_of_each_individual(seed, bars, trade_start, long_only):
    sim = SimConfig(0.001, 0.0005, long_only, 0.0, infer_bars_per_year(bars.timestamp))
    population = np.vstack([small_row(seed), small_row(seed, train_window=130, retrain_every=40)])
    metrics = seed.evaluate(bars, population, sim, trade_start)
    assert metrics.shape == (2, len(METRIC_NAMES))
    for row, expected in zip(population, metrics, strict=True):
        result = seed.run(bars, row, sim, trade_start)
        np.testing.assert_array_equal(result.metric_row(), expected)
        targets = seed.targets(bars, row)[trade_start:]
        np.testing.assert_array_equal(result.exposure, np.maximum(targets, 0.0) if long_only else targets)
    assert (metrics[:, METRIC_NAMES.index("trades")] > 0).all()


@pytest.mark.parametrize("start", [FIRST_FIT + EVERY, FIRST_FIT + 2 * EVERY + 3, N_BARS - 1])
def test_a_later_start_skips_earlier_models_and_leaves_targets_from_start_unchanged(seed, bars, start):
    row = small_row(seed)
    full = seed.targets(bars, row)
    from_start = seed.targets(bars, row, start=start)
    np.testing.assert_array_equal(from_start[start:], full[start:])
    last_skipped_block_end = FIRST_FIT + (start - FIRST_FIT) // EVERY * EVERY
    assert (from_start[:last_skipped_block_end] == 0.0).all()


@pytest.mark.parametrize("m", [FIRST_FIT + 5, FIRST_FIT + 2 * EVERY, N_BARS - 30])
def test_targets_on_a_prefix_of_the_bars_are_the_prefix_of_the_targets(seed, bars, m):
    row = small_row(seed)
    np.testing.assert_array_equal(seed.targets(bars.slice(0, m), row), seed.targets(bars, row)[:m])
