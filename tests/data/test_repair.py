"""``--drop-invalid`` and ``--fill-gaps`` repair only when asked, and report what they changed."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tests.data.conftest import good_rows, hourly
from workloads.cli import app
from workloads.data.loaders import LoadOptions, read_bars

runner = CliRunner()


def test_drop_invalid_drops_exactly_the_bad_rows_and_reports_them(write_csv):
    rows = good_rows(6)
    rows[1] = f"{hourly(1)},100,98,99,100,10"
    rows[4] = f"{hourly(3)},100,101,99,100,10"
    result = read_bars(write_csv(rows), LoadOptions(drop_invalid=True))
    assert len(result.bars) == 4
    assert result.repairs.dropped_rows == {"high is below low": [3], "duplicate timestamp": [6]}


def test_drop_invalid_keeps_the_first_of_duplicate_timestamps(write_csv):
    rows = good_rows(3) + [f"{hourly(2)},100,101,99,99.5,10"]
    bars = read_bars(write_csv(rows), LoadOptions(drop_invalid=True)).bars
    assert bars.close[-1] == 100.5


def test_drop_invalid_is_reported_by_inspect(write_csv):
    rows = good_rows(5)
    rows[2] = f"{hourly(2)},100,101,99,100,-5"
    result = runner.invoke(app, ["data", "inspect", str(write_csv(rows)), "--drop-invalid", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["repairs"]["dropped_rows"] == {"volume is negative": [4]}


def test_fill_gaps_inserts_flat_bars_at_the_previous_close(write_csv):
    rows = [good_rows(6)[i] for i in (0, 1, 4, 5)]
    result = read_bars(write_csv(rows), LoadOptions(fill_gaps=True))
    bars = result.bars
    assert len(bars) == 6
    assert result.repairs.filled_bars == 2 and result.repairs.filled_gaps == 1
    for i in (2, 3):
        assert bars.open[i] == bars.high[i] == bars.low[i] == bars.close[i] == 100.5
        assert bars.volume[i] == 0
    assert list(bars.timestamp[1:] - bars.timestamp[:-1]) == [3_600_000_000_000] * 5


def test_gaps_are_reported_but_not_filled_unless_asked(write_csv):
    rows = [good_rows(6)[i] for i in (0, 1, 4, 5)]
    result = runner.invoke(app, ["data", "inspect", str(write_csv(rows)), "--json"])
    summary = json.loads(result.stdout)
    assert summary["bars"] == 4
    assert summary["gaps"] == {"count": 1, "missing_bars": 2, "largest_seconds": 10800.0}
