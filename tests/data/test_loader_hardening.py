"""Inputs an outside fuzzer found mis-read or crashing the loaders (issue #17, items 8-10): each is read correctly
or refused with exit 2 naming the file, the row and the rule — never a traceback, never a wrong timestamp."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tests.data.conftest import good_rows, hourly
from workloads.cli import app
from workloads.data.loaders import load_bars

runner = CliRunner()
PRICES = {"open": [100.0] * 3, "high": [101.0] * 3, "low": [99.0] * 3, "close": [100.5] * 3, "volume": [1.0] * 3}


def refused(path, *parts: str) -> str:
    result = runner.invoke(app, ["data", "inspect", str(path)])
    assert result.exit_code == 2, result.output
    message = " ".join(result.stderr.split())
    assert str(path) in message
    for part in parts:
        assert part in message
    return message


def write_parquet(tmp_path, timestamp: pa.Array, **columns: pa.Array):
    path = tmp_path / "bars.parquet"
    data = {"timestamp": timestamp, **{k: pa.array(v) for k, v in PRICES.items()}, **columns}
    pq.write_table(pa.table(data), path)
    return path


def test_epoch_seconds_that_overflow_nanoseconds_are_refused_naming_the_row(write_csv):
    rows = [f"{1_700_000_000 + 3600 * i},100,101,99,100.5,10" for i in range(3)] + ["20000000000,100,101,99,100.5,10"]
    refused(write_csv(rows), "row 5", "out of range")


def test_uint64_parquet_timestamps_beyond_int64_are_refused(tmp_path):
    path = write_parquet(tmp_path, pa.array([1, 2, 2**63 + 5], pa.uint64()))
    refused(path, "row 4", "out of range")


def test_epoch_seconds_with_one_millisecond_value_are_refused_as_mixed_units(write_csv):
    rows = [f"{1_700_000_000 + 3600 * i},100,101,99,100.5,10" for i in range(3)]
    rows.append("1700010800000,100,101,99,100.5,10")
    refused(write_csv(rows), "row 5", "mixed epoch units")


def test_epoch_seconds_are_read_as_seconds(write_csv):
    rows = [f"{1_700_000_000 + 3600 * i},100,101,99,100.5,10" for i in range(3)]
    assert load_bars(write_csv(rows)).timestamp[0] == 1_700_000_000 * 10**9


@pytest.mark.parametrize(
    "column",
    [
        pa.array([1.0, 2.0, 3.0]),
        pa.array(["a", "b", "c"]).dictionary_encode(),
        pa.array([b"a", b"b", b"c"]),
        pa.array([1, 2, 3], pa.time32("s")),
        pa.array([True, False, True]),
        pa.array([1, 2, 3], pa.decimal128(10, 0)),
        pa.array([[1], [2], [3]]),
        pa.array([{"x": 1}, {"x": 2}, {"x": 3}]),
        pa.array([1, 2, 3], pa.duration("s")),
    ],
    ids=lambda c: str(c.type),
)
def test_parquet_timestamp_columns_of_unsupported_types_are_refused(tmp_path, column):
    refused(write_parquet(tmp_path, column), "timestamp column has unsupported type")


@pytest.mark.parametrize(
    "column", [pa.array([[1.0], [2.0], [3.0]]), pa.array([1, 2, 3], pa.timestamp("s"))], ids=lambda c: str(c.type)
)
def test_parquet_price_columns_of_unsupported_types_are_refused(tmp_path, column):
    path = tmp_path / "bars.parquet"
    data = {"timestamp": pa.array([1, 2, 3], pa.timestamp("s")), **{k: pa.array(v) for k, v in PRICES.items()}}
    data["close"] = column
    pq.write_table(pa.table(data), path)
    refused(path, "close column has unsupported type")


def test_a_duplicate_csv_column_name_is_refused(write_csv):
    rows = [f"{row},100.5" for row in good_rows(3)]
    refused(write_csv(rows, header="timestamp,open,high,low,close,volume,Close"), "duplicate column", "row 1")


def test_a_duplicate_parquet_column_name_is_refused(tmp_path):
    path = tmp_path / "bars.parquet"
    arrays = [pa.array([1, 2, 3], pa.timestamp("s"))] + [pa.array(v) for v in PRICES.values()] + [pa.array([1.0] * 3)]
    pq.write_table(pa.Table.from_arrays(arrays, names=["timestamp", *PRICES, "open"]), path)
    refused(path, "duplicate column")


def test_a_non_utf8_header_is_refused(tmp_path):
    path = tmp_path / "bars.csv"
    path.write_bytes(b"timestamp,open,high,low,close,volume,\xff\xfe\n" + "\n".join(good_rows(3)).encode() + b"\n")
    refused(path, "UTF-8")


def test_a_path_with_rich_markup_is_printed_verbatim_in_table_mode(tmp_path):
    directory = tmp_path / "[bold red]x"
    directory.mkdir()
    path = directory / "bars.csv"
    path.write_text("timestamp,open,high,low,close,volume\n" + "\n".join(good_rows(3)) + "\n")
    result = runner.invoke(app, ["data", "inspect", str(path)])
    assert result.exit_code == 0, result.output
    assert "[bold red]x" in result.stdout


def test_rows_are_numbered_with_blank_lines_counted(tmp_path):
    path = tmp_path / "bars.csv"
    rows = good_rows(4)
    rows[3] = f"{hourly(3)},100,101,99,abc,10"
    path.write_text("timestamp,open,high,low,close,volume\n" + rows[0] + "\n\n" + "\n".join(rows[1:]) + "\n")
    refused(path, "row 6", "close is not a number")


def test_rows_are_numbered_with_a_multi_line_quoted_field_as_one_row(tmp_path):
    path = tmp_path / "bars.csv"
    rows = [f"{r},note" for r in good_rows(4)]
    rows[0] = f'{hourly(0)},100,101,99,100.5,10,"two\nlines"'
    rows[3] = f"{hourly(3)},100,101,99,abc,10,note"
    path.write_text("timestamp,open,high,low,close,volume,note\n" + "\n".join(rows) + "\n")
    refused(path, "row 5", "close is not a number")


def test_a_value_python_accepts_but_arrow_refuses_is_reported_on_its_own_row(write_csv):
    rows = good_rows(4)
    rows[2] = f"{hourly(2)},100,101,99,1_000,10"
    refused(write_csv(rows), "row 4", "close is not a number", "1_000")


def test_mixed_naive_and_offset_iso_times_are_read_with_naive_as_utc(write_csv):
    rows = ["2024-01-01T00:00:00,100,101,99,100.5,10", "2024-01-01T02:00:00+01:00,100,101,99,100.5,10"]
    rows.append("2024-01-01T02:00:00Z,100,101,99,100.5,10")
    bars = load_bars(write_csv(rows))
    assert np.diff(bars.timestamp).tolist() == [3600 * 10**9] * 2


def test_the_earliest_bad_row_is_reported_whatever_its_rule(write_csv):
    rows = good_rows(6)
    rows[1] = f"{hourly(1)},100,101,99,100.5,-1"
    rows[4] = f"{hourly(4)},100,101,99,nan,10"
    refused(write_csv(rows), "row 3", "volume is negative")
