"""The synthetic generator is seeded, reproducible byte for byte, and produces valid bars."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from workloads.cli import app
from workloads.data.synthetic import generate
from workloads.data.validate import validate

runner = CliRunner()


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_generate_is_byte_reproducible_for_the_same_seed(tmp_path, suffix):
    paths = [tmp_path / f"{name}.{suffix}" for name in ("a", "b")]
    for path in paths:
        result = runner.invoke(
            app, ["data", "generate", "--bars", "300", "--random-seed", "11", "--funding", "--out", str(path)]
        )
        assert result.exit_code == 0, result.output
    assert paths[0].read_bytes() == paths[1].read_bytes()


def test_different_seeds_give_different_data():
    assert not np.array_equal(generate(100, 1).close, generate(100, 2).close)


def test_generated_bars_pass_validation():
    bars = generate(20_000, 5, funding=True)
    validated, repairs = validate(bars)
    assert len(validated) == 20_000 and repairs.dropped == 0


def test_generated_data_switches_regimes():
    bars = generate(20_000, 5)
    daily_returns = np.diff(np.log(bars.close[::24]))
    window = 60
    rolling = np.array([daily_returns[i : i + window].std() for i in range(0, daily_returns.size - window, window)])
    assert rolling.max() > 1.8 * rolling.min()


def test_funding_column_only_when_asked():
    assert generate(10, 1).funding_rate is None
    assert generate(10, 1, funding=True).funding_rate is not None


def test_interval_sets_the_timestamp_spacing():
    bars = generate(10, 1, interval_seconds=900)
    assert set(np.diff(bars.timestamp)) == {900 * 1_000_000_000}


def test_a_planted_edge_leaves_the_base_path_of_no_edge_unchanged():
    assert np.array_equal(generate(500, 4, edge="none", edge_strength=0.5).close, generate(500, 4).close)


def lag_autocorrelation(close: np.ndarray) -> float:
    """Correlation of consecutive, non-overlapping 24-bar log returns."""
    r = np.diff(np.log(close))
    smoothed = np.convolve(r, np.ones(24), "valid")
    return float(np.corrcoef(smoothed[:-24], smoothed[24:])[0, 1])


def test_a_planted_trend_makes_returns_persist():
    plain = generate(20_000, 5).close
    trend = generate(20_000, 5, edge="trend", edge_strength=0.5).close
    assert lag_autocorrelation(trend) > lag_autocorrelation(plain) + 0.2


def test_a_planted_reversion_makes_returns_revert():
    plain = generate(20_000, 5).close
    reverting = generate(20_000, 5, edge="reversion", edge_strength=2.0).close
    assert lag_autocorrelation(reverting) < lag_autocorrelation(plain) - 0.1


def test_an_unknown_edge_is_refused_on_the_command_line(tmp_path):
    result = runner.invoke(
        app, ["data", "generate", "--bars", "100", "--edge", "magic", "--out", str(tmp_path / "x.csv")]
    )
    assert result.exit_code == 2 and "edge 'magic'" in result.output


def test_edge_generation_is_byte_reproducible(tmp_path):
    paths = [tmp_path / f"{name}.parquet" for name in ("a", "b")]
    for path in paths:
        args = ["data", "generate", "--bars", "300", "--edge", "trend", "--edge-strength", "0.3", "--out", str(path)]
        assert runner.invoke(app, args).exit_code == 0
    assert paths[0].read_bytes() == paths[1].read_bytes()
