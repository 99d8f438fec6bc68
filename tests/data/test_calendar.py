"""``bars_per_year`` is inferred from timestamps: 24/7 data vs exchange sessions."""

from __future__ import annotations

import numpy as np
import pytest

from workloads.data.calendar import find_gaps, infer_bars_per_year

HOUR = 3_600_000_000_000
DAY = 24 * HOUR
MONDAY_2024_01_01 = 1_704_067_200 * 1_000_000_000


def test_hourly_24_7_data_has_8766_bars_per_year():
    assert infer_bars_per_year(MONDAY_2024_01_01 + np.arange(2000) * HOUR) == pytest.approx(8766.0)


def test_daily_crypto_data_with_weekends_has_365_25_bars_per_year():
    assert infer_bars_per_year(MONDAY_2024_01_01 + np.arange(60) * DAY) == pytest.approx(365.25)


def test_daily_weekday_data_has_252_bars_per_year():
    days = np.array([d for d in range(84) if d % 7 < 5])
    assert infer_bars_per_year(MONDAY_2024_01_01 + days * DAY) == pytest.approx(252.0)


def test_minute_session_data_has_252_times_390_bars_per_year():
    session_open = 14 * HOUR + 30 * 60_000_000_000
    minutes = np.arange(390) * 60_000_000_000
    days = [d for d in range(14) if d % 7 < 5]
    stamps = np.concatenate([MONDAY_2024_01_01 + d * DAY + session_open + minutes for d in days])
    assert infer_bars_per_year(stamps) == pytest.approx(252 * 390)


def test_short_full_day_intraday_data_without_weekend_is_24_7():
    assert infer_bars_per_year(MONDAY_2024_01_01 + np.arange(72) * HOUR) == pytest.approx(8766.0)


def test_gaps_count_missing_whole_intervals():
    stamps = MONDAY_2024_01_01 + np.array([0, 1, 2, 6, 7, 9]) * HOUR
    gaps = find_gaps(stamps)
    assert (gaps.count, gaps.missing_bars, gaps.largest_seconds) == (2, 4, 4 * 3600.0)
