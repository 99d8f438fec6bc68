"""Fuzzing the loaders (issue #17): malformed CSV and Parquet files give exit 0 or 2, never a traceback, and every
exit-2 message names the file, the rule and — for a bad value in a bar row — the earliest bad row.

Each CSV example starts from valid bars and corrupts one row (a value, a timestamp) and/or the file's structure
(blank lines, extra quoted multi-line fields, bad bytes, duplicate headers); each Parquet example gives the time or
a price column a random Arrow type. Deterministic (``derandomize``) and bounded (``max_examples``)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.data.conftest import HEADER, hourly
from workloads.cli import app

runner = CliRunner()
BARS = 8
RULES = (
    "not a number",
    "not a date/time",
    "missing or not finite",
    "not positive",
    "below low",
    "outside [low, high]",
    "volume is negative",
    "duplicate timestamp",
    "strictly increase",
    "mixed epoch units",
    "out of range",
    "cannot be read",
    "duplicate column",
    "missing required column",
    "too few bars",
    "unsupported type",
)
FUZZ = settings(max_examples=150, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
BAD_VALUES = ["abc", "nan", "inf", "-inf", "-5", "0", "", "1_000", "0x10", "1e400", " 7 ", "1,5", '"3"', "１"]
BAD_TIMES = [
    "yesterday",
    "",
    "1700000000",
    "99999999999999999999",
    "2024-13-01T00:00:00",
    "2024-01-01T25:00:00Z",
    "2603-01-01T00:00:00Z",
    "1500-01-01",
    "2024-01-01T00:00:00+25:00",
]
COLUMNS = ["open", "high", "low", "close", "volume"]


def run(path: Path) -> tuple[int, str]:
    result = runner.invoke(app, ["data", "inspect", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 2), result.output
    return result.exit_code, " ".join(result.stderr.split())


def assert_names_file_and_rule(path: Path, message: str) -> None:
    assert str(path) in message
    assert any(rule in message for rule in RULES), message


@FUZZ
@given(
    row=st.integers(0, BARS - 1),
    corruption=st.one_of(
        st.tuples(st.just("value"), st.sampled_from(COLUMNS), st.sampled_from(BAD_VALUES)),
        st.tuples(st.just("time"), st.just("timestamp"), st.sampled_from(BAD_TIMES)),
        st.tuples(st.just("repeat"), st.just("timestamp"), st.just("")),
    ),
    blank_lines=st.lists(st.integers(0, BARS), max_size=3),
    quoted_note=st.booleans(),
)
def test_a_corrupted_csv_row_is_refused_naming_that_row_or_read(row, corruption, blank_lines, quoted_note):
    kind, column, value = corruption
    records = [[hourly(i), "100", "101", "99", "100.5", "10"] for i in range(BARS)]
    if kind == "repeat":
        records[row][0] = records[row - 1][0] if row else records[1][0]
    else:
        records[row][(["timestamp", *COLUMNS]).index(column)] = value
    header = HEADER + (",note" if quoted_note else "")
    lines = [",".join(r) + (',"multi\nline"' if quoted_note else "") for r in records]
    spreadsheet_row = {i: i + 2 + sum(1 for b in blank_lines if b <= i) for i in range(BARS)}
    text_lines = []
    for i, line in enumerate(lines):
        text_lines += [""] * sum(1 for b in blank_lines if b == i)
        text_lines.append(line)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "fuzz.csv"
        path.write_text(header + "\n" + "\n".join(text_lines) + "\n")
        code, message = run(path)
        if code == 2:
            assert_names_file_and_rule(path, message)
            bad_row = row if kind != "repeat" or row else 1
            assert f"row {spreadsheet_row[bad_row]}:" in message, message


@FUZZ
@given(
    header=st.sampled_from(
        [
            b"timestamp,open,high,low,close,volume",
            b"timestamp,open,high,low,close,volume,OPEN",
            b"timestamp,open,high,low,close,volume,\xff\xfe",
            b"time,open,high,low,close",
            b"",
            b"\xef\xbb\xbftimestamp,open,high,low,close,volume",
        ]
    ),
    body=st.lists(st.binary(max_size=40), max_size=6),
)
def test_arbitrary_bytes_after_a_header_never_crash_the_csv_loader(header, body):
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "fuzz.csv"
        path.write_bytes(header + b"\n" + b"\n".join(body))
        code, message = run(path)
        if code == 2:
            assert_names_file_and_rule(path, message)


ARROW_COLUMNS = [
    pa.array([1_700_000_000 + 3600 * i for i in range(4)], pa.int64()),
    pa.array([1_700_000_000 + 3600 * i for i in range(4)], pa.uint64()),
    pa.array([2**63 + i for i in range(4)], pa.uint64()),
    pa.array([1.0, 2.0, 3.0, 4.0]),
    pa.array(["a", "b", "c", "d"]).dictionary_encode(),
    pa.array([b"a", b"b", b"c", b"d"]),
    pa.array([1, 2, 3, 4], pa.time32("s")),
    pa.array([True, False, True, False]),
    pa.array([1, 2, 3, 4], pa.decimal128(10, 0)),
    pa.array([[1], [2], [3], [4]]),
    pa.array([{"x": 1}, {"x": 2}, {"x": 3}, {"x": 4}]),
    pa.array([1, 2, 3, 4], pa.duration("s")),
    pa.array([1, 2, 3, 4], pa.timestamp("s")),
    pa.array([10**17 + i for i in range(4)], pa.timestamp("ms")),
    pa.array([19000, 19001, 19002, 19003], pa.date32()),
    pa.array([None, None, None, None], pa.null()),
    pa.array(["2024-01-01", "2024-01-02", None, "2024-01-04"]),
]


@FUZZ
@given(column=st.sampled_from(["timestamp", "open", "close", "volume"]), values=st.sampled_from(ARROW_COLUMNS))
def test_any_arrow_type_in_a_parquet_column_never_crashes_the_loader(column, values):
    data = {
        "timestamp": pa.array([1_700_000_000 + 3600 * i for i in range(4)]),
        "open": pa.array([100.0] * 4),
        "high": pa.array([101.0] * 4),
        "low": pa.array([99.0] * 4),
        "close": pa.array([100.5] * 4),
        "volume": pa.array([1.0] * 4),
    }
    data[column] = values
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "fuzz.parquet"
        pq.write_table(pa.table(data), path)
        code, message = run(path)
        if code == 2:
            assert_names_file_and_rule(path, message)
