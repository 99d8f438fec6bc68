"""Funding events onto bars: the bar whose ``[open, open + timeframe)`` contains the event; summed; 0 otherwise."""

from __future__ import annotations

import numpy as np

from workloads.market.funding import align_funding

HOUR = 3_600_000_000_000
OPENS = np.arange(4, dtype=np.int64) * HOUR


def aligned(events: list[int], rates: list[float]) -> list[float]:
    return align_funding(OPENS, HOUR, np.array(events, dtype=np.int64), np.array(rates)).tolist()


def test_an_event_at_a_bars_open_belongs_to_that_bar():
    assert aligned([HOUR], [0.1]) == [0.0, 0.1, 0.0, 0.0]


def test_an_event_a_few_milliseconds_after_the_open_belongs_to_the_same_bar():
    assert aligned([HOUR + 3_000_000], [0.1]) == [0.0, 0.1, 0.0, 0.0]


def test_an_event_at_a_bars_close_belongs_to_the_next_bar():
    assert aligned([2 * HOUR], [0.1]) == [0.0, 0.0, 0.1, 0.0]


def test_events_in_one_bar_are_summed():
    assert aligned([HOUR, HOUR + HOUR // 2], [0.1, 0.25]) == [0.0, 0.35, 0.0, 0.0]


def test_events_outside_every_bar_are_dropped():
    assert aligned([-1, 4 * HOUR], [0.1, 0.2]) == [0.0, 0.0, 0.0, 0.0]


def test_an_event_inside_a_missing_bar_is_dropped():
    opens = np.array([0, 2 * HOUR], dtype=np.int64)  # the bar at 1h is missing

    funding = align_funding(opens, HOUR, np.array([HOUR + 5], dtype=np.int64), np.array([0.1]))

    assert funding.tolist() == [0.0, 0.0]
