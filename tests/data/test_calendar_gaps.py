"""Gaps are counted by the data's calendar (docs/data.md#bars-per-year): weekends are not gaps of daily stock bars,
nights are not gaps of intraday session bars; a missing weekday, or a missing hour of 24/7 data, is."""

from __future__ import annotations

import json

import numpy as np
from typer.testing import CliRunner

from workloads.cli import app
from workloads.data.calendar import NS_PER_DAY, find_gaps

HOUR = 3_600_000_000_000


def weekdays(start: str, end: str) -> np.ndarray:
    days = np.arange(np.datetime64(start), np.datetime64(end))
    return days[np.is_busday(days)].astype("datetime64[ns]").astype(np.int64)


def test_daily_stock_bars_have_no_gap_over_weekends():
    assert find_gaps(weekdays("2024-01-01", "2024-12-31")).count == 0


def test_a_missing_weekday_of_daily_stock_bars_is_one_gap_with_its_bars():
    gaps = find_gaps(np.delete(weekdays("2024-01-01", "2024-12-31"), [10, 11]))
    assert (gaps.count, gaps.missing_bars, gaps.largest_seconds) == (1, 2, 5 * 86_400)


def test_a_missing_day_over_a_weekend_counts_only_the_weekday():
    days = weekdays("2024-01-01", "2024-03-01")
    friday = int(np.flatnonzero(((days // NS_PER_DAY) + 3) % 7 == 4)[0])
    gaps = find_gaps(np.delete(days, friday))
    assert (gaps.count, gaps.missing_bars) == (1, 1)


def test_intraday_session_bars_have_no_gap_over_nights_and_weekends():
    sessions = [day + 14 * HOUR + np.arange(7) * HOUR for day in weekdays("2024-01-01", "2024-02-01")]
    timestamps = np.concatenate(sessions)
    assert find_gaps(timestamps).count == 0
    gaps = find_gaps(np.delete(timestamps, [3, 4]))
    assert (gaps.count, gaps.missing_bars) == (1, 2)


def test_a_missing_hour_of_24_7_data_is_a_gap():
    timestamps = np.arange(1_000, dtype=np.int64) * HOUR
    gaps = find_gaps(np.delete(timestamps, [200, 201, 202]))
    assert (gaps.count, gaps.missing_bars, gaps.largest_seconds) == (1, 3, 4 * 3_600)


def test_data_inspect_of_a_daily_stock_file_reports_no_weekend_gaps(tmp_path):
    path = tmp_path / "stock.csv"
    days = np.datetime_as_string(weekdays("2024-01-01", "2024-12-31").astype("datetime64[ns]"), unit="D")
    path.write_text("date,open,high,low,close,volume\n" + "".join(f"{d},10,11,9,10.5,100\n" for d in days))
    result = CliRunner().invoke(app, ["data", "inspect", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["gaps"] == {"count": 0, "missing_bars": 0, "largest_seconds": 0.0}
