"""Funding events onto bars.

A perpetual swap's funding is a sequence of events ``(time T, rate r)`` — every 8 hours on most exchanges, a few
milliseconds after the mark — while bars have any timeframe. The rule (docs/data.md#funding-onto-bars):

    an event at time ``T`` is attributed to the bar whose interval ``[open, open + timeframe)`` contains ``T``;
    the rates of several events in one bar are summed; a bar without an event gets 0.

Why: the bar holding ``T`` closes after ``T``, so a strategy acting at a bar's close never sees a funding rate
before it is paid (no lookahead), and an event stamped at ``08:00:00.003`` lands on the same bar as one stamped
``08:00:00.000``. Summing keeps the total funding over any span the same for every timeframe (a 1d bar carries
the day's three 8-hourly rates, an hourly bar one rate or 0). An event inside a missing bar (a gap) is dropped
with the bar: there is no bar to carry it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def align_funding(
    bar_open_ns: npt.NDArray[np.int64],
    timeframe_ns: int,
    event_ns: npt.NDArray[np.int64],
    rates: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Per bar, the sum of the rates of the events inside ``[open, open + timeframe_ns)`` (0 for none).

    ``bar_open_ns`` must be strictly increasing (ns UTC); events may come in any order."""
    funding = np.zeros(bar_open_ns.shape[0], dtype=np.float64)
    if bar_open_ns.shape[0] == 0 or event_ns.shape[0] == 0:
        return funding
    index = np.searchsorted(bar_open_ns, event_ns, side="right") - 1
    inside = index >= 0
    inside[inside] = event_ns[inside] < bar_open_ns[index[inside]] + timeframe_ns
    np.add.at(funding, index[inside], rates[inside])
    return funding
