"""Walk-forward spans in one pass (docs/simulation.md#the-driver): ``evaluate_spans`` equals one ``evaluate`` per
span on ``bars.slice(0, end)`` from ``trade_start = start``, bit for bit, for every seed."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workloads.data.synthetic import generate
from workloads.kernels import driver
from workloads.kernels.simulate import BLOCK, SimConfig
from workloads.seeds.base import FusedSeed
from workloads.seeds.registry import all_seeds

BARS = generate(900, 21, funding=True)
SIM = SimConfig(0.001, 0.0005, False, 0.05, 8766.0)
FUSED = sorted(name for name, seed in all_seeds().items() if isinstance(seed, FusedSeed))


def population(seed, n: int, random_seed: int) -> np.ndarray:
    rng = np.random.default_rng(random_seed)
    return seed.repair(seed.genes.decode(rng.random((n, len(seed.genes)))))[0]


def one_by_one(seed, params, spans) -> np.ndarray:
    return np.stack([seed.evaluate(BARS.slice(0, end), params, SIM, start) for start, end in spans], axis=1)


@st.composite
def ordered_spans(draw):
    """1-4 spans in order, contiguous or with gaps, anywhere in the bars."""
    edges = sorted(draw(st.lists(st.integers(0, len(BARS)), min_size=2, max_size=8, unique=True)))
    spans = [(edges[i], edges[i + 1]) for i in range(0, len(edges) - 1, draw(st.sampled_from([1, 2])))]
    return spans[:4]


@pytest.mark.parametrize("name", FUSED)
def test_walk_forward_segments_in_one_pass_equal_one_pass_per_segment(name):
    seed = all_seeds()[name]
    params = population(seed, 70, 3)  # two blocks, one partial
    spans = [(0, 300), (300, 600), (600, 900)]
    assert np.array_equal(
        seed.evaluate_spans(BARS, params, SIM, spans), one_by_one(seed, params, spans), equal_nan=True
    )


@settings(max_examples=25, deadline=None)
@given(spans=ordered_spans(), random_seed=st.integers(0, 2**16))
def test_any_ordered_spans_in_one_pass_equal_one_pass_each(spans, random_seed):
    seed = all_seeds()["rsi_filter"]
    params = population(seed, 5, random_seed)
    assert np.array_equal(
        seed.evaluate_spans(BARS, params, SIM, spans), one_by_one(seed, params, spans), equal_nan=True
    )


def test_overlapping_spans_are_evaluated_one_pass_each():
    seed = all_seeds()["ema_crossover"]
    params = population(seed, 4, 9)
    spans = [(100, 700), (50, 900)]
    assert np.array_equal(
        seed.evaluate_spans(BARS, params, SIM, spans), one_by_one(seed, params, spans), equal_nan=True
    )


def test_a_span_outside_the_bars_is_refused():
    seed = all_seeds()["ema_crossover"]
    with pytest.raises(ValueError, match=r"span \(800, 901\) must satisfy"):
        seed.evaluate_spans(BARS, population(seed, 2, 1), SIM, [(0, 800), (800, 901)])


@pytest.mark.parametrize("threads", [1, 2, 3, 8])
@pytest.mark.parametrize("n", [1, 2, 5, 63, 64, 65, 130, 170, 1000])
def test_blocks_cover_every_row_once_in_a_multiple_of_the_threads(monkeypatch, threads, n):
    monkeypatch.setattr(driver, "get_num_threads", lambda: threads)
    count = driver.blocks(n)
    spans = [driver.block_lanes(n, block, count) for block in range(count)]
    rows = [lo + i for lo, width in spans for i in range(width)]
    assert rows == list(range(n))
    assert all(width <= BLOCK for _, width in spans)
    assert count % threads == 0 or count == n
