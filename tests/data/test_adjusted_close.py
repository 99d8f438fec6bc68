"""An adjusted-close column is ignored with a note saying so (docs/data.md#loading), never silently."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from workloads.cli import app
from workloads.data.loaders import read_bars

ROWS = "".join(f"2024-01-{day:02d},10,11,9,10.5,5.25,100\n" for day in range(1, 31))


@pytest.mark.parametrize("name", ["Adj Close", "adj_close", "Adjusted Close", "adjclose"])
def test_an_adjusted_close_column_is_ignored_with_a_note_naming_it(tmp_path, name):
    path = tmp_path / "stock.csv"
    path.write_text(f"Date,Open,High,Low,Close,{name},Volume\n{ROWS}")
    result = read_bars(path)
    assert float(result.bars.close[0]) == 10.5
    (note,) = result.notes
    assert str(path) in note and f"column {name!r} is ignored" in note and "not adjusted" in note


def test_a_file_without_one_has_no_note(tmp_path):
    path = tmp_path / "stock.csv"
    path.write_text("Date,Open,High,Low,Close,Other,Volume\n" + ROWS)
    assert read_bars(path).notes == ()


def test_data_inspect_reports_the_ignored_column(tmp_path):
    path = tmp_path / "stock.csv"
    path.write_text("Date,Open,High,Low,Close,Adj Close,Volume\n" + ROWS)
    result = CliRunner().invoke(app, ["data", "inspect", str(path), "--json"])
    assert result.exit_code == 0, result.output
    (note,) = json.loads(result.stdout)["notes"]
    assert "'Adj Close' is ignored" in note
