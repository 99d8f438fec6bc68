"""Shared data for the ML seed tests: small synthetic bars and small-window parameter rows (many refits on few bars,
so every walk-forward boundary is exercised quickly)."""

from __future__ import annotations

import numpy as np
import pytest

from workloads.data.bars import Bars
from workloads.data.synthetic import generate
from workloads.seeds.base import Seed
from workloads.seeds.registry import get_seed

N_BARS = 320
ML_SEEDS = ("linear_svc_classifier", "pca_tree_quantile")

SMALL = {
    "linear_svc_classifier": {"train_window": 100, "retrain_every": 17, "C": 0.5, "n_lags": 5},
    "pca_tree_quantile": {"train_window": 100, "retrain_every": 17, "n_components": 3, "max_depth": 3, "quantile": 0.7},
}


@pytest.fixture(scope="session")
def bars() -> Bars:
    return generate(N_BARS, 11)


@pytest.fixture(scope="session", params=ML_SEEDS)
def seed(request) -> Seed:
    return get_seed(request.param)


def small_row(seed: Seed, **overrides: float) -> np.ndarray:
    """The seed's small-window parameter row (``SMALL``), with ``overrides``."""
    return seed.genes.row({**SMALL[seed.name], **overrides})


def perturbed_after(bars: Bars, t: int, random_seed: int) -> Bars:
    """``bars`` with every bar after ``t`` changed: prices of bars ``t+1..`` scaled by a random factor path (OHLC stay
    consistent), volumes redrawn. Bars ``0..t`` are untouched."""
    rng = np.random.default_rng(random_seed)
    scale = np.ones(len(bars))
    scale[t + 1 :] = np.exp(np.cumsum(rng.normal(0.0, 0.05, len(bars) - t - 1)))
    volume = bars.volume.copy()
    volume[t + 1 :] = rng.lognormal(5.0, 1.0, len(bars) - t - 1)
    return Bars.from_arrays(
        bars.timestamp,
        bars.open * scale,
        bars.high * scale,
        bars.low * scale,
        bars.close * scale,
        volume,
        bars.funding_rate,
        symbol=bars.symbol,
    )


def flat_bars(n: int) -> Bars:
    """``n`` bars at a constant price of 100 (no return is ever non-zero)."""
    price = np.full(n, 100.0)
    return Bars.from_arrays(np.arange(n, dtype=np.int64) * 3_600_000_000_000, price, price, price, price, np.ones(n))
