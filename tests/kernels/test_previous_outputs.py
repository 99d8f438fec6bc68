"""Faster kernels, the same numbers: every fused seed's population metrics, walk-forward spans, equity curve, metrics
row and round trips equal, bit for bit, what the kernels gave before the accounts pass was restructured
(``previous_outputs.json``: SHA-256 prefixes of the float64 arrays, recorded with the previous kernels from these
very inputs). Three cost settings: the bench's costs; long-only with a rebalance band; costs that ruin most
individuals (ruin at a close and at an open)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from workloads.data.synthetic import generate
from workloads.kernels.simulate import SimConfig
from workloads.seeds.base import FusedSeed
from workloads.seeds.registry import all_seeds

RECORDED = json.loads((Path(__file__).parent / "previous_outputs.json").read_text())
BARS = generate(3000, 5, funding=True)
SIMS = {
    "costs": SimConfig(0.001, 0.0005, False, 0.0, 8766.0),
    "band_long": SimConfig(0.002, 0.001, True, 0.05, 8766.0),
    "wild": SimConfig(0.3, 0.2, False, 0.0, 252.0, 2.0),
}
FUSED = sorted(name for name, seed in all_seeds().items() if isinstance(seed, FusedSeed))


def digest(array) -> str:
    return hashlib.sha256(np.ascontiguousarray(array, dtype=np.float64).tobytes()).hexdigest()[:16]


def outputs(name: str, sim: SimConfig) -> dict[str, np.ndarray]:
    seed = all_seeds()[name]
    rng = np.random.default_rng(11)
    params = seed.repair(seed.genes.decode(rng.random((70, len(seed.genes)))))[0]
    run = seed.run(BARS, params[3], sim, 50)
    trades = [
        [t.entry_time, t.exit_time or -1, t.direction, t.entry_price, t.exit_price or np.nan, t.units, t.pnl, t.fees]
        for t in run.trades
    ]
    return {
        "eval": seed.evaluate(BARS, params, sim, 100),
        "spans": seed.evaluate_spans(BARS, params[:9], sim, [(0, 1000), (1200, 2000), (2000, 3000)]),
        "run_eq": run.equity,
        "run_m": run.metric_row(),
        "run_trades": np.array(trades).reshape(-1, 8),
    }


@pytest.mark.parametrize("sim_name", sorted(SIMS))
@pytest.mark.parametrize("name", FUSED)
def test_outputs_equal_the_previous_kernels_bit_for_bit(name, sim_name):
    actual = {key: digest(value) for key, value in outputs(name, SIMS[sim_name]).items()}
    expected = {key: RECORDED[f"{name}/{sim_name}/{key}"] for key in actual}
    assert actual == expected
