"""A run owns its data (workloads/evolution/run.py): resumed, it continues on the bars it started on whatever bars
arrived since, and refuses, naming the mismatch, another symbol, rewritten or missing bars, other seeds or another
configuration."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.evolution.conftest import HOUR_NS, random_walk_bars
from workloads.data.bars import Bars
from workloads.evolution.backends import LocalBackend
from workloads.evolution.checkpoints import LocalDirectoryCheckpoints, state_from_bytes, state_to_bytes
from workloads.evolution.config import EvolutionConfig
from workloads.evolution.pool import Pool
from workloads.evolution.run import plan_run, run_evolution

CONFIG = EvolutionConfig(population=12, generations=4, random_seed=5)


def grown(bars: Bars, extra: int) -> Bars:
    """``bars`` plus ``extra`` newer hourly bars (what an hourly fetch appends)."""
    more = random_walk_bars(len(bars) + extra, 99)
    start = int(bars.timestamp[-1]) + HOUR_NS
    timestamps = np.concatenate([bars.timestamp, start + np.arange(extra, dtype=np.int64) * HOUR_NS])
    columns = {
        name: np.concatenate([getattr(bars, name), getattr(more, name)[-extra:]])
        for name in ("open", "high", "low", "close", "volume", "funding_rate")
    }
    return Bars.from_arrays(timestamps, symbol=bars.symbol, **columns)


def interrupted(tmp_path, walk, fake_seeds, generations: int = 2) -> LocalDirectoryCheckpoints:
    """A run ``r`` of ``walk`` stopped after ``generations`` generations (its checkpoints under ``tmp_path``)."""
    store = LocalDirectoryCheckpoints(tmp_path)
    plan = plan_run(walk, CONFIG, registry=fake_seeds)
    pool = Pool(plan.seeds, CONFIG, LocalBackend(plan.workload, plan.seeds))
    state = pool.new_state("r", walk.fingerprint(), plan.workload.train.fingerprint())
    state.symbol, state.data_end = walk.symbol, int(walk.timestamp[-1])
    store.save("r", -1, state_to_bytes(state))
    if generations:
        pool.run(state, store, stop_after=generations)
    return store


def test_a_new_run_checkpoints_its_pin_before_its_first_generation(tmp_path, walk, fake_seeds):
    run_evolution(walk, CONFIG, runs_dir=tmp_path, run_id="r", registry=fake_seeds)
    initial = state_from_bytes((tmp_path / "r" / "checkpoints" / "gen--0001.ckpt").read_bytes())
    assert initial.generation == -1
    assert (initial.symbol, initial.data_end, initial.data_fingerprint) == (
        "RW",
        int(walk.timestamp[-1]),
        walk.fingerprint(),
    )


def test_a_resumed_run_ignores_bars_that_arrived_after_it_started(tmp_path, walk, fake_seeds):
    whole = run_evolution(walk, CONFIG, runs_dir=tmp_path / "whole", run_id="r", registry=fake_seeds)
    interrupted(tmp_path / "slot", walk, fake_seeds)
    resumed = run_evolution(
        grown(walk, 48), CONFIG, runs_dir=tmp_path / "slot", run_id="r", resume=True, registry=fake_seeds
    )
    assert resumed.hall_of_fame == whole.hall_of_fame
    assert resumed.data["bars"] == len(walk) and resumed.data["fingerprint"] == walk.fingerprint()


def test_a_run_stopped_before_its_first_generation_resumes_from_its_initial_checkpoint(tmp_path, walk, fake_seeds):
    whole = run_evolution(walk, CONFIG, runs_dir=tmp_path / "whole", run_id="r", registry=fake_seeds)
    interrupted(tmp_path / "slot", walk, fake_seeds, generations=0)
    assert LocalDirectoryCheckpoints(tmp_path / "slot").load_latest("r")[0] == -1
    resumed = run_evolution(walk, CONFIG, runs_dir=tmp_path / "slot", run_id="r", resume=True, registry=fake_seeds)
    assert resumed.hall_of_fame == whole.hall_of_fame


def test_resume_refuses_another_symbol(tmp_path, walk, fake_seeds):
    interrupted(tmp_path, walk, fake_seeds)
    other = Bars.from_arrays(**{**_columns(walk), "symbol": "ETHUSDT"})
    with pytest.raises(ValueError, match="the run evolves symbol 'RW', the data given is 'ETHUSDT'"):
        run_evolution(other, CONFIG, runs_dir=tmp_path, run_id="r", resume=True, registry=fake_seeds)


def test_resume_refuses_bars_rewritten_within_the_cut_off(tmp_path, walk, fake_seeds):
    interrupted(tmp_path, walk, fake_seeds)
    columns = _columns(walk)
    columns["close"] = columns["close"].copy()
    columns["close"][10] *= 1.01
    with pytest.raises(ValueError, match="bars up to the run's cut-off .* were rewritten"):
        run_evolution(
            Bars.from_arrays(**columns), CONFIG, runs_dir=tmp_path, run_id="r", resume=True, registry=fake_seeds
        )


def test_resume_refuses_other_seeds_naming_them(tmp_path, walk, fake_seeds):
    interrupted(tmp_path, walk, fake_seeds)
    with pytest.raises(ValueError, match="evolves fake_momentum, fake_reversal, not fake_momentum"):
        run_evolution(
            walk,
            CONFIG,
            runs_dir=tmp_path,
            run_id="r",
            resume=True,
            strategies=["fake_momentum"],
            registry=fake_seeds,
        )


def test_resume_refuses_a_configuration_key_set_to_another_value(tmp_path, walk, fake_seeds):
    interrupted(tmp_path, walk, fake_seeds)
    with pytest.raises(ValueError, match=r"population 20 \(the run's is 12\)"):
        run_evolution(
            walk,
            CONFIG,
            runs_dir=tmp_path,
            run_id="r",
            resume=True,
            registry=fake_seeds,
            requested={"population": 20, "random_seed": 5},
        )


def test_resume_accepts_the_run_s_own_configuration_values(tmp_path, walk, fake_seeds):
    interrupted(tmp_path, walk, fake_seeds)
    summary = run_evolution(
        walk,
        CONFIG,
        runs_dir=tmp_path,
        run_id="r",
        resume=True,
        registry=fake_seeds,
        requested={"population": 12, "random_seed": 5, "mutation": None},
    )
    assert [g.generation for g in summary.generations] == [0, 1, 2, 3]


def _columns(bars: Bars) -> dict:
    return {
        name: getattr(bars, name)
        for name in ("timestamp", "open", "high", "low", "close", "volume", "funding_rate", "symbol")
    }


@pytest.fixture()
def walk() -> Bars:
    return random_walk_bars(600, 3)


def evolve_cli(*args: str):
    from typer.testing import CliRunner

    from workloads.cli import app

    base = ["evolve", "--synthetic", "500", "--strategies", "ema_crossover", "--population", "6", "--generations"]
    return CliRunner().invoke(app, [*base, "2", "--no-store", "--json", *args])


def test_until_keeps_the_bars_that_open_before_it(tmp_path):
    result = evolve_cli("--runs-dir", str(tmp_path), "--until", "2022-01-20T00:00Z")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["data"]["bars"] == 19 * 24  # hourly bars from 2022-01-01T00:00Z


@pytest.mark.parametrize(
    ("until", "message"),
    [
        ("next tuesday", "--until 'next tuesday': expected an ISO 8601 time"),
        ("2021-12-31T00:00Z", "--until: no bar opens before 2021-12-31T00:00:00Z"),
    ],
)
def test_until_refuses_a_bad_time_or_one_before_every_bar(tmp_path, until, message):
    result = evolve_cli("--runs-dir", str(tmp_path), "--until", until)
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


def test_the_command_line_refuses_to_resume_with_another_option_value_naming_it(tmp_path):
    assert evolve_cli("--runs-dir", str(tmp_path), "--run-id", "r").exit_code == 0
    result = evolve_cli("--runs-dir", str(tmp_path), "--resume", "r", "--set", "mutation=0.3")
    assert result.exit_code == 2
    assert "configuration differs from the run's: mutation 0.3 (the run's is 0.1)" in " ".join(result.output.split())
