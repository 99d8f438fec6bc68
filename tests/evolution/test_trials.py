"""The trial sample is a bounded, uniform, order-independent sample of the distinct trials."""

from __future__ import annotations

import numpy as np

from workloads.evolution.trials import TrialSample


def test_the_sample_is_bounded():
    sample = TrialSample(5)
    for i in range(100):
        sample.offer(f"key-{i}", "a", np.array([float(i)]))
    assert len(sample.trials) == 5


def test_the_sample_does_not_depend_on_the_order_trials_arrive_in():
    one, other = TrialSample(8), TrialSample(8)
    keys = [f"key-{i}" for i in range(200)]
    for key in keys:
        one.offer(key, "a", np.array([1.0]))
    for key in reversed(keys):
        other.offer(key, "a", np.array([1.0]))
    assert one.trials == other.trials


def test_the_sample_is_spread_over_all_trials_not_the_first_ones():
    sample = TrialSample(50)
    for i in range(5000):
        sample.offer(f"key-{i}", "a", np.array([float(i)]))
    positions = np.array([t.params[0] for t in sample.trials])
    assert positions.min() < 1000 and positions.max() > 4000


def test_the_checkpoint_form_round_trips():
    sample = TrialSample(4)
    for i in range(10):
        sample.offer(f"k{i}", "s", np.array([i, 2.0 * i]))
    again = TrialSample(4)
    again.restore(sample.to_list())
    assert again.trials == sample.trials
