"""Bar spacing, gaps and ``bars_per_year`` inference from timestamps (int64 ns UTC).

``bars_per_year`` annualises Sharpe, Sortino and CAGR. It is inferred as follows (override with
``--bars-per-year`` wherever metrics are computed):

- **24/7 data** (crypto, FX perpetuals): ``365.25 days / spacing``, where spacing is the median time between bars.
  Data is 24/7 when any bar falls on a Saturday or Sunday (UTC), or — for data spanning under a week, where
  weekends may simply not be present — when the bars cover whole days (intraday spacing and at least 90% of a
  day's slots filled on the median day).
- **Exchange sessions** otherwise: ``252 trading days × bars per trading day`` (the median number of bars per UTC
  calendar date that has any). Daily stock bars give 252; 390 one-minute bars a session give 98,280.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NS_PER_SECOND = 1_000_000_000
NS_PER_DAY = 86_400 * NS_PER_SECOND
DAYS_PER_YEAR = 365.25
TRADING_DAYS_PER_YEAR = 252
DEFAULT_START = "2022-01-01T00:00:00"
"""First bar's time (UTC, ISO-8601) of generated bars when none is given (``workloads.data.synthetic``)."""


def spacing_ns(timestamps: np.ndarray) -> int:
    """The bar interval: the most common difference between consecutive timestamps (ns)."""
    if timestamps.shape[0] < 2:
        raise ValueError("at least 2 bars are needed to infer the bar interval")
    diffs = np.diff(timestamps)
    values, counts = np.unique(diffs, return_counts=True)
    return int(values[np.argmax(counts)])


def _weekday(timestamps: np.ndarray) -> np.ndarray:
    """0 = Monday … 6 = Sunday (1970-01-01 was a Thursday)."""
    return ((timestamps // NS_PER_DAY) + 3) % 7


def is_continuous(timestamps: np.ndarray) -> bool:
    """True for 24/7 data (see the module docstring for the rule)."""
    if np.any(_weekday(timestamps) >= 5):
        return True
    span = int(timestamps[-1] - timestamps[0])
    step = spacing_ns(timestamps)
    if span >= 7 * NS_PER_DAY or step >= NS_PER_DAY:
        return False
    _, per_day = np.unique(timestamps // NS_PER_DAY, return_counts=True)
    return float(np.median(per_day)) >= 0.9 * (NS_PER_DAY / step)


def infer_bars_per_year(timestamps: np.ndarray) -> float:
    """Bars per year for annualisation (see the module docstring)."""
    step = spacing_ns(timestamps)
    if is_continuous(timestamps):
        return DAYS_PER_YEAR * NS_PER_DAY / step
    _, per_day = np.unique(timestamps // NS_PER_DAY, return_counts=True)
    return TRADING_DAYS_PER_YEAR * float(np.median(per_day))


@dataclass(frozen=True)
class GapSummary:
    """Spacings longer than the bar interval. ``missing_bars`` counts whole intervals absent inside the gaps."""

    count: int
    missing_bars: int
    largest_seconds: float

    def as_dict(self) -> dict[str, float | int]:
        return {"count": self.count, "missing_bars": self.missing_bars, "largest_seconds": self.largest_seconds}


def find_gaps(timestamps: np.ndarray) -> GapSummary:
    """Spacings that leave bars out, relative to the most common spacing, calendar-aware:

    - **24/7 data**: every spacing longer than the bar interval is a gap (``missing_bars`` whole intervals).
    - **Daily exchange bars** (interval one day, no weekend bars): a gap is a run of missing *weekdays*; weekends are
      not gaps. An exchange holiday on a weekday does count (one missing bar): there is no holiday calendar here.
    - **Intraday exchange bars**: nights and weekends are not gaps; a longer spacing inside one UTC day is, and so is
      a whole weekday without bars (counted as that many days of the median bars per day).
    - Other spacings (weekly bars, …): every spacing longer than the interval, as for 24/7 data."""
    if timestamps.shape[0] < 2:
        return GapSummary(0, 0, 0.0)
    step = spacing_ns(timestamps)
    diffs = np.diff(timestamps)
    if is_continuous(timestamps) or step > NS_PER_DAY:
        long = diffs > step
        missing = np.where(long, diffs // step - 1, 0)
    else:
        day = timestamps // NS_PER_DAY
        missing_days = np.busday_count((day[:-1] + 1).astype("datetime64[D]"), day[1:].astype("datetime64[D]")).astype(
            np.int64
        )
        if step == NS_PER_DAY:
            long, missing = missing_days > 0, missing_days
        else:
            _, per_day = np.unique(day, return_counts=True)
            within = (day[:-1] == day[1:]) & (diffs > step)
            missing = np.where(within, diffs // step - 1, missing_days * int(np.median(per_day)))
            long = within | (missing_days > 0)
    largest = float(diffs[long].max()) / NS_PER_SECOND if long.any() else 0.0
    return GapSummary(int(np.count_nonzero(long)), int(missing[long].sum()), largest)
