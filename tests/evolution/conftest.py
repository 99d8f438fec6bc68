"""Shared pieces of the evolution tests: small random-walk bars and a fake seed (plain numpy rule) for unit tests
of the loop; integration tests use the real registry seeds on small data."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest

from workloads.data.bars import Bars
from workloads.seeds.base import Seed
from workloads.seeds.genes import Gene, GeneSpace

HOUR_NS = 3_600_000_000_000


def random_walk_bars(n: int, random_seed: int = 0) -> Bars:
    """Hourly bars of a seeded random walk (with funding)."""
    rng = np.random.default_rng(random_seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, n)))
    open_ = np.concatenate([[100.0], close[:-1]])
    high = np.maximum(open_, close) * 1.002
    low = np.minimum(open_, close) * 0.998
    volume = rng.lognormal(0.0, 0.3, n)
    funding = rng.normal(0.0, 1e-4, n)
    return Bars.from_arrays(
        np.arange(n, dtype=np.int64) * HOUR_NS, open_, high, low, close, volume, funding, symbol="RW"
    )


class MomentumSeed(Seed):
    """A fake seed for unit tests: +1 when the ``window``-bar return exceeds ``threshold``, −1 below −threshold."""

    name: ClassVar[str] = "fake_momentum"
    kind: ClassVar[str] = "momentum"
    min_bars: ClassVar[int] = 20
    genes: ClassVar[GeneSpace] = GeneSpace([Gene("window", 2, 40, "int"), Gene("threshold", 0.0, 0.02)])

    def lookback(self, params_row: np.ndarray) -> int:
        return int(params_row[0])

    def targets(self, bars: Bars, params_row: np.ndarray, start: int = 0) -> np.ndarray:
        window, threshold = int(params_row[0]), float(params_row[1])
        out = np.zeros(len(bars))
        change = bars.close[window:] / bars.close[:-window] - 1.0
        out[window:] = np.where(change > threshold, 1.0, np.where(change < -threshold, -1.0, 0.0))
        return out


class ReversalSeed(MomentumSeed):
    """The mirror rule (a second sub-population)."""

    name: ClassVar[str] = "fake_reversal"

    def targets(self, bars: Bars, params_row: np.ndarray, start: int = 0) -> np.ndarray:
        return -super().targets(bars, params_row, start)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch):
    """Every test (and the subprocesses it starts) gets its own GENEPOOL_HOME (DuckDB file, runs) and no
    configured Redis/PostgreSQL/Ray."""
    import os

    for name in list(os.environ):
        if name.startswith("GENEPOOL_") or name == "RAY_ADDRESS":
            monkeypatch.delenv(name)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("GENEPOOL_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def fake_seeds() -> dict[str, Seed]:
    return {"fake_momentum": MomentumSeed(), "fake_reversal": ReversalSeed()}


@pytest.fixture(scope="session")
def walk() -> Bars:
    return random_walk_bars(600, 3)
