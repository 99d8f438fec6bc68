"""Loaders read CSV and Parquet into contiguous arrays, with case-insensitive columns and several time formats."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from workloads.data.loaders import load_bars, write_bars
from workloads.data.synthetic import generate

HOUR_NS = 3_600_000_000_000
JAN_1_2024_NS = 1_704_067_200 * 1_000_000_000


def test_columns_are_matched_case_insensitively_and_extra_columns_ignored(write_csv):
    path = write_csv(
        ["2024-01-01T00:00:00Z,1,100,101,99,100,5", "2024-01-01T01:00:00Z,1,100,102,99,101,6"],
        header="Date,Extra,OPEN,High,low,Close,VOLUME",
    )
    bars = load_bars(path)
    assert list(bars.close) == [100.0, 101.0]
    assert bars.timestamp[0] == JAN_1_2024_NS


def test_epoch_seconds_and_milliseconds_are_recognised(write_csv):
    for scale, name in ((1, "s.csv"), (1000, "ms.csv")):
        rows = [f"{(1_704_067_200 + 3600 * i) * scale},100,101,99,100,1" for i in range(3)]
        bars = load_bars(write_csv(rows, name=name))
        assert list(bars.timestamp) == [JAN_1_2024_NS + i * HOUR_NS for i in range(3)]


def test_naive_times_are_taken_as_utc(write_csv):
    bars = load_bars(write_csv(["2024-01-01 00:00:00,100,101,99,100,1", "2024-01-01 01:00:00,100,101,99,100,1"]))
    assert bars.timestamp[0] == JAN_1_2024_NS


def test_arrays_are_contiguous_float64_and_int64(write_csv, tmp_path):
    path = tmp_path / "g.parquet"
    write_bars(generate(50, 1, funding=True), path)
    bars = load_bars(path)
    assert bars.timestamp.dtype == np.int64
    for array in (bars.open, bars.high, bars.low, bars.close, bars.volume, bars.funding_rate):
        assert array.dtype == np.float64 and array.flags.c_contiguous


def test_funding_rate_is_optional(write_csv):
    assert (
        load_bars(
            write_csv(["2024-01-01T00:00:00Z,100,101,99,100,1", "2024-01-01T01:00:00Z,100,101,99,100,1"])
        ).funding_rate
        is None
    )


def test_csv_and_parquet_round_trip_exactly(tmp_path):
    bars = generate(500, 9, funding=True)
    for name in ("b.csv", "b.parquet"):
        write_bars(bars, tmp_path / name)
        loaded = load_bars(tmp_path / name)
        for field in ("timestamp", "open", "high", "low", "close", "volume", "funding_rate"):
            assert np.array_equal(getattr(loaded, field), getattr(bars, field)), (name, field)


def test_parquet_nanosecond_timestamps_of_any_time_zone_are_utc_epoch_nanoseconds(tmp_path):
    instants = [JAN_1_2024_NS + i * HOUR_NS for i in range(20)]
    prices = {name: [100.0] * 20 for name in ("open", "high", "low", "close", "volume")}
    for zone in (None, "UTC", "Europe/Berlin", "+05:30"):
        path = tmp_path / f"{zone or 'naive'}.parquet".replace("/", "_").replace(":", "")
        times = pa.array(instants, pa.int64()).cast(pa.timestamp("ns", tz=zone))
        pq.write_table(pa.table({"timestamp": times, **prices}), path)
        assert load_bars(path).timestamp.tolist() == instants, zone


def test_reading_parquet_float_prices_and_nanosecond_times_does_not_import_pyarrow_compute(tmp_path):
    path = tmp_path / "bars.parquet"
    write_bars(generate(300, 1), path)
    probe = (
        "import json, sys\n"
        "from workloads.data.loaders import load_bars\n"
        f"load_bars({str(path)!r})\n"
        "print(json.dumps('pyarrow.compute' in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)

    assert json.loads(done.stdout) is False
