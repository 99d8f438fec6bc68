"""A run killed with SIGKILL mid-run resumes with ``--resume`` and ends with the hall of fame of an uninterrupted
run (real subprocess, real seeds)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workloads.data.synthetic import generate
from workloads.evolution.config import EvolutionConfig
from workloads.evolution.run import run_evolution

ARGS = [
    "--synthetic",
    "20000",
    "--strategies",
    "ema_crossover,sma_trend_filter",
    "--population",
    "150",
    "--generations",
    "8",
    "--random-seed",
    "21",
]


def _genepool(*args: str, **kwargs) -> subprocess.Popen:
    code = "from workloads.cli import main; main()"
    return subprocess.Popen(
        [sys.executable, "-c", code, "evolve", *ARGS, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


@pytest.mark.slow
def test_sigkilled_run_resumes_to_the_uninterrupted_hall_of_fame(tmp_path: Path):
    runs = tmp_path / "runs"
    checkpoints = runs / "killed" / "checkpoints"
    process = _genepool("--run-id", "killed", "--runs-dir", str(runs), "--json")
    deadline = time.monotonic() + 300
    while not (checkpoints / "gen-00001.ckpt").exists():
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate()
    assert process.returncode == -signal.SIGKILL
    saved = sorted(p.name for p in checkpoints.iterdir())
    assert "gen-00007.ckpt" not in saved and not (runs / "killed" / "run.json").exists()

    resumed = _genepool("--resume", "killed", "--runs-dir", str(runs), "--json")
    out, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err
    summary = json.loads(out)

    whole = run_evolution(
        generate(20000, 21, funding=True),
        EvolutionConfig(population=150, generations=8, random_seed=21),
        runs_dir=tmp_path / "whole",
        run_id="whole",
        strategies=["ema_crossover", "sma_trend_filter"],
    )
    assert summary["hall_of_fame"] == json.loads(json.dumps(whole.as_json()["hall_of_fame"]))
    assert summary["trials"] == whole.trials
    assert [g["generation"] for g in summary["generations"]] == list(range(8))
