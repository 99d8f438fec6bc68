"""Validation and explicitly requested repair of bar columns (docs/data.md#validation, docs/data.md#repairs).

Every rule is checked on every row; without repairs the error names the earliest offending row (spreadsheet
numbering, see :mod:`workloads.data.errors`) and the first rule, in the order of the list below, that this row
breaks. Ordering is judged against the previous row that breaks no row rule. Nothing is dropped or filled unless asked:

- ``drop_invalid`` removes each row that breaks a row rule (missing/non-finite value, a price <= 0, high < low, open
  or close outside [low, high], negative volume, a timestamp not after the previous kept one — duplicates keep the
  first).
- ``fill_gaps`` inserts flat bars (open = high = low = close = previous close, volume 0, funding 0) at every whole
  bar interval missing inside a gap. Meant for 24/7 data; on exchange data it would fill nights and weekends.

Both report exactly what they changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from workloads.data.bars import Bars
from workloads.data.calendar import spacing_ns
from workloads.data.errors import FIRST_DATA_ROW, DataError

DEFAULT_MIN_BARS = 2
"""Fewest bars a loader accepts (two are needed to infer the interval); commands that need more ask for more."""

RULE_NOT_FINITE = "value is missing or not finite (NaN/inf)"
RULE_NOT_POSITIVE = "a price (open, high, low, close) is not positive"
RULE_HIGH_BELOW_LOW = "high is below low"
RULE_OUTSIDE_RANGE = "open or close lies outside [low, high]"
RULE_NEGATIVE_VOLUME = "volume is negative"
RULE_DUPLICATE = "duplicate timestamp"
RULE_BACKWARDS = "timestamp is not after the previous bar's (timestamps must strictly increase)"


@dataclass
class RepairReport:
    """What ``drop_invalid`` and ``fill_gaps`` changed. Row numbers are spreadsheet rows of the input."""

    dropped_rows: dict[str, list[int]] = field(default_factory=dict)
    filled_bars: int = 0
    filled_gaps: int = 0

    @property
    def dropped(self) -> int:
        return sum(len(rows) for rows in self.dropped_rows.values())

    def lines(self) -> list[str]:
        out = []
        for rule, rows in self.dropped_rows.items():
            shown = ", ".join(str(r) for r in rows[:10]) + (" …" if len(rows) > 10 else "")
            out.append(f"dropped {len(rows)} row(s) because {rule}: rows {shown}")
        if self.filled_bars:
            out.append(f"filled {self.filled_bars} missing bar(s) in {self.filled_gaps} gap(s) with flat bars")
        return out

    def as_dict(self) -> dict[str, object]:
        return {
            "dropped": self.dropped,
            "dropped_rows": self.dropped_rows,
            "filled_bars": self.filled_bars,
            "filled_gaps": self.filled_gaps,
        }


def _row_violations(bars: Bars) -> list[tuple[str, np.ndarray]]:
    """(rule, boolean mask) for every row rule except ordering, which depends on which rows are kept."""
    values = [bars.open, bars.high, bars.low, bars.close, bars.volume]
    if bars.funding_rate is not None:
        values.append(bars.funding_rate)
    not_finite = ~np.logical_and.reduce([np.isfinite(v) for v in values])
    with np.errstate(invalid="ignore"):
        high_below_low = bars.high < bars.low
        outside = (
            (bars.open < bars.low) | (bars.open > bars.high) | (bars.close < bars.low) | (bars.close > bars.high)
        ) & ~high_below_low
        negative_volume = bars.volume < 0
        not_positive = (bars.open <= 0) | (bars.high <= 0) | (bars.low <= 0) | (bars.close <= 0)
    return [
        (RULE_NOT_FINITE, not_finite),
        (RULE_NOT_POSITIVE, not_positive & ~not_finite),
        (RULE_HIGH_BELOW_LOW, high_below_low & ~not_finite),
        (RULE_OUTSIDE_RANGE, outside & ~not_finite),
        (RULE_NEGATIVE_VOLUME, negative_volume & ~not_finite),
    ]


def _ordering_violations(timestamps: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Masks (duplicate, backwards) over all rows, judged against the latest earlier row in ``keep``."""
    kept_ts = np.where(keep, timestamps, np.iinfo(np.int64).min)
    previous_max = np.maximum.accumulate(np.concatenate(([np.iinfo(np.int64).min], kept_ts[:-1])))
    duplicate = keep & (timestamps == previous_max)
    backwards = keep & (timestamps < previous_max)
    return duplicate, backwards


def _select(bars: Bars, keep: np.ndarray) -> Bars:
    funding = None if bars.funding_rate is None else bars.funding_rate[keep]
    return Bars.from_arrays(
        bars.timestamp[keep],
        bars.open[keep],
        bars.high[keep],
        bars.low[keep],
        bars.close[keep],
        bars.volume[keep],
        funding,
        symbol=bars.symbol,
        source=bars.source,
    )


def validate(
    bars: Bars, *, drop_invalid: bool = False, fill_gaps: bool = False, min_bars: int = DEFAULT_MIN_BARS
) -> tuple[Bars, RepairReport]:
    """Check ``bars`` against every rule; repair only what the flags ask for. Raises :class:`DataError`."""
    report = RepairReport()
    keep = np.ones(len(bars), dtype=bool)
    if not drop_invalid:
        _refuse_earliest(bars)
    for rule, mask in _row_violations(bars):
        bad = mask & keep
        if bad.any():
            if not drop_invalid:
                first = int(np.argmax(bad))
                raise DataError(bars.source, rule, row=first + FIRST_DATA_ROW, detail=_describe_row(bars, first))
            report.dropped_rows[rule] = (np.flatnonzero(bad) + FIRST_DATA_ROW).tolist()
            keep &= ~bad
    duplicate, backwards = _ordering_violations(bars.timestamp, keep)
    for rule, bad in ((RULE_DUPLICATE, duplicate), (RULE_BACKWARDS, backwards)):
        if bad.any():
            if not drop_invalid:
                first = int(np.argmax(duplicate | backwards))
                rule = RULE_DUPLICATE if duplicate[first] else RULE_BACKWARDS
                raise DataError(bars.source, rule, row=first + FIRST_DATA_ROW, detail=_describe_row(bars, first))
            report.dropped_rows[rule] = (np.flatnonzero(bad) + FIRST_DATA_ROW).tolist()
            keep &= ~bad
    if not keep.all():
        bars = _select(bars, keep)
    if len(bars) < min_bars:
        raise DataError(bars.source, f"too few bars: {len(bars)} bar(s), at least {min_bars} needed")
    if fill_gaps:
        bars = _fill_gaps(bars, report)
    return bars, report


def _refuse_earliest(bars: Bars) -> None:
    """Raise for the earliest row breaking any rule (row rules first on that row, then ordering)."""
    violations = _row_violations(bars)
    clean = ~np.logical_or.reduce([mask for _, mask in violations]) if len(bars) else np.ones(0, dtype=bool)
    duplicate, backwards = _ordering_violations(bars.timestamp, clean)
    rules = [*violations, (RULE_DUPLICATE, duplicate), (RULE_BACKWARDS, backwards)]
    bad = np.logical_or.reduce([mask for _, mask in rules]) if len(bars) else np.zeros(0, dtype=bool)
    if not bad.any():
        return
    first = int(np.argmax(bad))
    rule = next(rule for rule, mask in rules if mask[first])
    raise DataError(bars.source, rule, row=first + FIRST_DATA_ROW, detail=_describe_row(bars, first))


def _describe_row(bars: Bars, index: int) -> str:
    ts = np.datetime_as_string(np.datetime64(int(bars.timestamp[index]), "ns"), unit="s")
    columns = {"open": bars.open, "high": bars.high, "low": bars.low, "close": bars.close, "volume": bars.volume}
    if bars.funding_rate is not None:
        columns["funding_rate"] = bars.funding_rate
    return f"timestamp={ts}Z " + " ".join(f"{name}={float(values[index])!r}" for name, values in columns.items())


def _fill_gaps(bars: Bars, report: RepairReport) -> Bars:
    step = spacing_ns(bars.timestamp)
    diffs = np.diff(bars.timestamp)
    inserts = np.where(diffs > step, (diffs - 1) // step, 0)
    total = int(inserts.sum())
    if total == 0:
        return bars
    report.filled_bars = total
    report.filled_gaps = int(np.count_nonzero(inserts))
    repeats = np.ones(len(bars), dtype=np.int64)
    repeats[:-1] += inserts
    source_index = np.repeat(np.arange(len(bars)), repeats)
    offset = np.arange(source_index.size) - np.repeat(np.cumsum(repeats) - repeats, repeats)
    filled = offset > 0
    timestamp = bars.timestamp[source_index] + offset * step
    previous_close = bars.close[source_index]

    def column(values: np.ndarray, fill: np.ndarray | float) -> np.ndarray:
        return np.where(filled, fill, values[source_index])

    funding = None if bars.funding_rate is None else column(bars.funding_rate, 0.0)
    return Bars.from_arrays(
        timestamp,
        column(bars.open, previous_close),
        column(bars.high, previous_close),
        column(bars.low, previous_close),
        previous_close.copy(),
        column(bars.volume, 0.0),
        funding,
        symbol=bars.symbol,
        source=bars.source,
    )
