"""Shared data for the seed tests: small random OHLCV bars (with funding), and parameter rows per seed.

Data is small on purpose (Numba kernels compile once per session and are cached on disk; every test reuses them).
Prices are a random walk with ``low < min(open, close) <= max(open, close) < high`` strictly, volumes log-normal
with a few zero-volume bars, and funding an AR(1) with runs of exact zeros.
"""

from __future__ import annotations

import numpy as np
import pytest

from workloads.data.bars import Bars
from workloads.seeds.base import Seed
from workloads.seeds.registry import get_seed

HOUR_NS = 3_600_000_000_000
N_BARS = 400

SEED_NAMES = (
    "stochastic_oscillator",
    "rsi_filter",
    "vwap_reversion",
    "bollinger_bands",
    "volatility_scaling",
    "ichimoku_cloud",
    "donchian_breakout",
    "funding_rate_carry",
)


def random_bars(n: int, random_seed: int, price: float = 100.0, vol: float = 0.01) -> Bars:
    """Hourly random bars (see module doc)."""
    rng = np.random.default_rng(random_seed)
    close = price * np.exp(np.cumsum(rng.normal(0.0, vol, n)))
    open_ = np.concatenate([[price], close[:-1]]) * np.exp(rng.normal(0.0, vol / 10, n))
    high = np.maximum(open_, close) * (1.0 + rng.uniform(0.1, 1.0, n) * vol)
    low = np.minimum(open_, close) * (1.0 - rng.uniform(0.1, 1.0, n) * vol)
    volume = rng.lognormal(6.0, 1.0, n)
    volume[rng.random(n) < 0.02] = 0.0
    funding = np.empty(n)
    funding[0] = 1e-4
    for t in range(1, n):
        funding[t] = 0.9 * funding[t - 1] + rng.normal(0.0, 5e-5)
    funding[(np.arange(n) // 25) % 6 == 5] = 0.0
    ts = 1_700_000_000 * 1_000_000_000 + np.arange(n, dtype=np.int64) * HOUR_NS
    return Bars.from_arrays(ts, open_, high, low, close, volume, funding, symbol="TEST")


@pytest.fixture(scope="session")
def bars() -> Bars:
    return random_bars(N_BARS, 7)


def param_rows(seed: Seed, count: int, random_seed: int = 0) -> np.ndarray:
    """The defaults, the lower and upper bounds (repaired), and ``count`` random decoded, repaired rows."""
    low, high = seed.genes.bounds()
    unit = np.random.default_rng(random_seed).random((count, len(seed.genes)))
    rows = np.vstack([seed.genes.defaults(), low, high, seed.genes.decode(unit)])
    return seed.repair(rows)[0]


@pytest.fixture(scope="session", params=SEED_NAMES)
def seed(request) -> Seed:
    return get_seed(request.param)
