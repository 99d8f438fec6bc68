"""No look-ahead, for every seed: changing anything after bar ``t`` (prices, volume, funding) leaves every target up
to and including the close of ``t`` unchanged."""

from __future__ import annotations

import numpy as np
import pytest

from tests.seeds.conftest import SEED_NAMES, param_rows
from workloads.data.bars import Bars
from workloads.seeds.registry import get_seed


def perturbed_after(bars: Bars, t: int, random_seed: int) -> Bars:
    """Bars ``0..t`` unchanged; every later bar replaced by an unrelated random walk (with volume and funding)."""
    rng = np.random.default_rng(random_seed)
    n = len(bars) - t - 1
    close = bars.close[t] * np.exp(np.cumsum(rng.normal(0.0, 0.05, n)))
    open_ = close * np.exp(rng.normal(0.0, 0.01, n))
    high = np.maximum(open_, close) * 1.02
    low = np.minimum(open_, close) * 0.98
    future = {
        "open": open_,
        "high": high,
        "low": low,
        "close": close,
        "volume": rng.lognormal(3.0, 2.0, n),
        "funding_rate": rng.normal(0.0, 1e-3, n),
    }
    columns = {name: np.concatenate([getattr(bars, name)[: t + 1], values]) for name, values in future.items()}
    return Bars.from_arrays(bars.timestamp, symbol=bars.symbol, **columns)


@pytest.mark.parametrize("name", SEED_NAMES)
def test_targets_up_to_t_ignore_every_later_bar(name, bars):
    seed = get_seed(name)
    rows = param_rows(seed, 3)
    for t in (seed.lookback(rows[0]), 200, len(bars) - 2):
        future = perturbed_after(bars, t, random_seed=t)
        for row in rows:
            np.testing.assert_array_equal(
                seed.targets(future, row)[: t + 1],
                seed.targets(bars, row)[: t + 1],
                err_msg=f"{name} {seed.genes.as_dict(row)} t={t}",
            )


@pytest.mark.parametrize("name", SEED_NAMES)
def test_warm_up_bars_emit_zero_and_the_first_decision_is_at_the_lookback(name, bars):
    """Every bar before ``lookback`` is 0, and the individual's minimum bars cover its warm-up (the reference rules
    in ``test_rules`` start deciding exactly at the bar docs/seeds.md names)."""
    seed = get_seed(name)
    for row in param_rows(seed, 6):
        warm = seed.lookback(row)
        assert (seed.targets(bars, row)[:warm] == 0.0).all()
        assert seed.min_bars_for(row) >= max(seed.min_bars, warm + 2)
