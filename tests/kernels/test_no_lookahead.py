"""No look-ahead: changing any bar after t never changes the exposure decided, or the equity marked, up to t."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.kernels.conftest import price_paths
from workloads.data.bars import Bars
from workloads.kernels.simulate import SimConfig
from workloads.seeds.registry import get_seed

SIM = SimConfig(fee_rate=0.001, slippage=0.0005, long_only=False, rebalance_band=0.0, bars_per_year=8766.0)


def bars_of(open_, close, high_scale=1.01, volume=1.0) -> Bars:
    n = close.shape[0]
    ts = np.arange(n, dtype=np.int64) * 3_600_000_000_000
    return Bars.from_arrays(
        ts,
        open_,
        np.maximum(open_, close) * high_scale,
        np.minimum(open_, close) / high_scale,
        close,
        np.full(n, volume),
    )


@pytest.mark.parametrize("name", ["ema_crossover", "sma_trend_filter"])
def test_the_future_never_changes_the_past(name):
    seed = get_seed(name)

    @settings(max_examples=120, deadline=None)
    @given(price_paths(min_bars=2, max_bars=150, max_move=0.05), st.data())
    def check(path, data):
        open_, close = path
        n = close.shape[0]
        t = data.draw(st.integers(0, n - 2))
        unit = np.array(data.draw(st.lists(st.floats(0, 1), min_size=2, max_size=2)))
        params, _ = seed.repair(seed.genes.decode(unit[None, :]))
        future = np.exp(np.array(data.draw(st.lists(st.floats(-0.5, 0.5), min_size=n - t - 1, max_size=n - t - 1))))
        changed_open, changed_close = open_.copy(), close.copy()
        changed_open[t + 1 :] *= future
        changed_close[t + 1 :] *= future[::-1]
        before = seed.run(bars_of(open_, close), params[0], SIM)
        after = seed.run(bars_of(changed_open, changed_close, high_scale=1.2, volume=7.0), params[0], SIM)
        np.testing.assert_array_equal(before.exposure[: t + 1], after.exposure[: t + 1])
        np.testing.assert_array_equal(before.equity[: t + 1], after.equity[: t + 1])

    check()
