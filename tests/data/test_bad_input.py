"""Every bad-input class of docs/data.md#validation is refused with exit code 2 and a message naming file, row and
rule."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tests.data.conftest import good_rows, hourly
from workloads.cli import app

runner = CliRunner()

CASES = {
    # name: (row index to corrupt (0-based bar), replacement line, expected spreadsheet row, rule text)
    "nan": (2, f"{hourly(2)},100,101,99,nan,10", 4, "not finite"),
    "inf": (1, f"{hourly(1)},100,inf,99,100,10", 3, "not finite"),
    "empty_cell": (3, f"{hourly(3)},100,101,,100,10", 5, "missing"),
    "zero_price": (2, f"{hourly(2)},100,101,0,100,10", 4, "a price (open, high, low, close) is not positive"),
    "high_below_low": (2, f"{hourly(2)},100,98,99,100,10", 4, "high is below low"),
    "close_above_high": (1, f"{hourly(1)},100,101,99,102,10", 3, "outside [low, high]"),
    "negative_volume": (4, f"{hourly(4)},100,101,99,100,-1", 6, "volume is negative"),
    "duplicate_timestamp": (3, f"{hourly(2)},100,101,99,100,10", 5, "duplicate timestamp"),
    "backwards_timestamp": (3, f"{hourly(1)},100,101,99,100,10", 5, "strictly increase"),
    "not_a_number": (2, f"{hourly(2)},100,101,99,abc,10", 4, "close is not a number"),
    "bad_timestamp": (1, "yesterday,100,101,99,100,10", 3, "not a date/time"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_row_is_refused_with_file_row_and_rule(write_csv, case):
    index, line, row, rule = CASES[case]
    rows = good_rows(6)
    rows[index] = line
    path = write_csv(rows)
    result = runner.invoke(app, ["data", "inspect", str(path)])
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())
    assert str(path) in message
    assert f"row {row}" in message
    assert rule in message


def test_missing_column_is_refused_naming_the_column(write_csv):
    path = write_csv([r.rsplit(",", 1)[0] for r in good_rows()], header="timestamp,open,high,low,close")
    result = runner.invoke(app, ["data", "inspect", str(path)])
    assert result.exit_code == 2
    assert "missing required column(s): volume" in " ".join(result.stderr.split())


def test_too_few_bars_is_refused(write_csv):
    result = runner.invoke(app, ["data", "inspect", str(write_csv(good_rows(1)))])
    assert result.exit_code == 2
    assert "too few bars: 1 bar(s), at least 2 needed" in " ".join(result.stderr.split())


def test_unsupported_file_type_is_refused(tmp_path):
    path = tmp_path / "bars.xlsx"
    path.write_text("x")
    result = runner.invoke(app, ["data", "inspect", str(path)])
    assert result.exit_code == 2
    assert "unsupported file type" in result.stderr


def test_parquet_rows_are_numbered_like_the_csv(tmp_path):
    import numpy as np
    import pyarrow.parquet as pq

    from workloads.data.bars import Bars
    from workloads.data.loaders import bars_to_table

    close = np.array([100.0, 100.0, 100.0, np.nan])
    bars = Bars.from_arrays(
        np.arange(4) * 3_600_000_000_000, close * 0 + 100, close * 0 + 101, close * 0 + 99, close, np.ones(4)
    )
    path = tmp_path / "bars.parquet"
    pq.write_table(bars_to_table(bars), path)
    result = runner.invoke(app, ["data", "inspect", str(path)])
    assert result.exit_code == 2
    assert "row 5" in result.stderr
