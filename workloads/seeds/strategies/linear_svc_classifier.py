"""``linear_svc_classifier`` (ml, 200 bars; 500 optimal): walk-forward linear SVM on the direction of the next bar.

Features (``workloads.seeds.ml_features``): ``n_lags`` lagged log returns, RSI(14) and realised vol(20), known at
close ``t``. Label of the sample of bar ``j``: ``sign(close[j+1] / close[j] - 1)``, known only at close ``j + 1``.

Walk-forward (``ml_features.walk_forward_blocks``): the first model is fitted at close ``s + train_window``
(``s = feature_start(n_lags) = 20``; that is :meth:`lookback`, the warm-up), then again every ``retrain_every``
closes. A model fitted at close ``t`` trains on samples ``j = t - train_window .. t - 1`` (every label known at
close ``t``) and, until the next refit, predicts on each close from that close's features.

Model: ``StandardScaler`` (fitted on the training rows) → ``LinearSVC(C, penalty="l2", loss="squared_hinge",
dual=False, random_state=0)``. The primal solver (``dual=False``) suits ``train_window >= 100`` samples of at most
22 features and is deterministic: the same bars and genes give the same targets.

Exposure: the predicted class, +1 or -1. Decisions:

- a sample whose next return is exactly 0 (label 0) carries no direction and is left out of the fit;
- a training window with fewer than two classes among the rest (e.g. a flat market) fits no model: exposure 0
  until the next refit;
- 0 in warm-up (before the first fit).

Genes: ``train_window`` 100–1000 (default 150), ``retrain_every`` 10–200 (default 25), ``C`` 1e-3–10 log-uniform
(default 0.1), ``n_lags`` 2–20 (default 10). The default window is chosen so that the default individual's warm-up
(170 bars) fits in the 200-bar type floor.

Cost: one fit per ``retrain_every`` bars and one vectorised prediction per block; no per-bar Python.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from workloads.data.bars import Bars
from workloads.seeds.base import Seed
from workloads.seeds.genes import Gene, GeneSpace
from workloads.seeds.ml_features import feature_matrix, feature_start, next_return, walk_forward_targets

TRAIN_WINDOW, RETRAIN_EVERY, C, N_LAGS = 0, 1, 2, 3
RANDOM_STATE = 0

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline


def classifier(c: float) -> Pipeline:
    """A fresh, unfitted model of this seed for regularisation ``c`` (scikit-learn is imported here, on the first
    fit, so that listing seeds does not load it)."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    return make_pipeline(StandardScaler(), LinearSVC(C=c, dual=False, random_state=RANDOM_STATE))


def direction_labels(close: np.ndarray) -> np.ndarray:
    """``sign(next_return)`` per bar (-1, 0, +1; NaN at the last bar, whose next close is unknown)."""
    return np.sign(next_return(close))


class LinearSvcClassifier(Seed):
    name = "linear_svc_classifier"
    kind = "ml"
    min_bars = 200
    optimal_bars = 500
    genes = GeneSpace(
        [
            Gene("train_window", 100, 1000, "int", 150),
            Gene("retrain_every", 10, 200, "int", 25),
            Gene("C", 1e-3, 10.0, "log", 0.1),
            Gene("n_lags", 2, 20, "int", 10),
        ]
    )
    description = "walk-forward LinearSVC on lagged returns, RSI and vol; +1/-1 = predicted sign of the next return"

    def lookback(self, params_row: np.ndarray) -> int:
        return feature_start(int(params_row[N_LAGS])) + int(params_row[TRAIN_WINDOW])

    def targets(self, bars: Bars, params_row: np.ndarray, start: int = 0) -> np.ndarray:
        """Target per close (0 in warm-up); with ``start`` > 0 the models whose predictions all fall before bar
        ``start`` are skipped (those targets read 0; ``targets[start:]`` is unchanged)."""
        n_lags = int(params_row[N_LAGS])
        c = float(params_row[C])

        def fit_predict(x_train: np.ndarray, y_train: np.ndarray, x_predict: np.ndarray) -> np.ndarray:
            directional = y_train != 0.0
            if np.unique(y_train[directional]).shape[0] < 2:
                return np.zeros(x_predict.shape[0])
            model = classifier(c).fit(x_train[directional], y_train[directional])
            return model.predict(x_predict).astype(np.float64)

        return walk_forward_targets(
            feature_matrix(bars.close, n_lags),
            direction_labels(bars.close),
            feature_start(n_lags),
            int(params_row[TRAIN_WINDOW]),
            int(params_row[RETRAIN_EVERY]),
            fit_predict,
            start,
        )


SEED = LinearSvcClassifier()
