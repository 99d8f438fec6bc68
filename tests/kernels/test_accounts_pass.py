"""The accounts pass: the current driver gives bit for bit the metrics of the previous pass (the bench's copy of it,
``workloads.bench.accounts_reference``), and a simulation allocates room for round trips only when they are
recorded."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from workloads.bench.accounts_reference import hold_kernel, hold_reference_kernel
from workloads.data.synthetic import generate
from workloads.kernels.driver import NO_RECORDER, blocks, one_span, simulate_targets
from workloads.kernels.metrics import METRIC_NAMES, N_METRICS
from workloads.kernels.simulate import TRIP, SimConfig
from workloads.seeds.base import bar_arrays

BARS = bar_arrays(generate(1500, 3, funding=True))


@pytest.mark.parametrize("leverage", [1.0, 40.0])  # 40x: most individuals are ruined at a close
@pytest.mark.parametrize("population", [1, 13, 64, 70, 200])
def test_the_current_accounts_pass_equals_the_previous_one(population, leverage):
    rng = np.random.default_rng(population)
    params = rng.choice([-leverage, leverage], (population, 1)) * rng.uniform(0.5, 1.0, (population, 1))
    sim = SimConfig(0.001, 0.0005, False, 0.0, 8766.0).kernel_args()
    spans = one_span(40, BARS.close.shape[0])
    current, previous = np.empty((population, 1, N_METRICS)), np.empty((population, 1, N_METRICS))
    hold_kernel(BARS, params, sim, spans, current, NO_RECORDER, blocks(population))
    hold_reference_kernel(BARS, params, sim, spans, previous, NO_RECORDER, blocks(population))
    assert np.array_equal(current, previous, equal_nan=True)
    if leverage > 1.0:
        assert np.any(current[:, 0, METRIC_NAMES.index("final_equity")] == 0.0)


def peak_bytes(call) -> int:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_room_for_round_trips_is_allocated_only_when_they_are_recorded():
    targets = np.sign(np.sin(np.arange(BARS.close.shape[0]) / 9.0))
    sim = SimConfig(0.001, 0.0005, False, 0.0, 8766.0).kernel_args()
    plain, recorded = np.empty(N_METRICS), np.empty(N_METRICS)
    simulate_targets(BARS, targets, sim, 0, plain, np.empty(0))  # compiled before memory is traced
    room = BARS.close.shape[0] * TRIP.itemsize
    assert peak_bytes(lambda: simulate_targets(BARS, targets, sim, 0, plain, np.empty(0))) < room / 4
    assert peak_bytes(lambda: simulate_targets(BARS, targets, sim, 0, recorded, np.empty(0), record_trips=True)) >= room
    trips = simulate_targets(BARS, targets, sim, 0, recorded, np.empty(0), record_trips=True)
    assert simulate_targets(BARS, targets, sim, 0, plain, np.empty(0)).shape == (0,)
    assert trips.shape[0] == recorded[METRIC_NAMES.index("trades")] > 1
    assert np.array_equal(plain, recorded)
