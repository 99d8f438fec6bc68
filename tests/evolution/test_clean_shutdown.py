"""``genepool evolve`` stopped by SIGTERM (a pod's end) or SIGINT (Ctrl-C) while the ML process pool is up: it exits
143 or 130 well within a pod's grace period, with no resource-tracker warning, its shared memory gone and a
checkpoint that resumes to the uninterrupted hall of fame; and a script calling ``run_evolution`` without a
``__main__`` guard runs (real subprocesses, real seeds)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from workloads.data.synthetic import generate
from workloads.evolution.config import EvolutionConfig
from workloads.evolution.run import run_evolution

pytestmark = pytest.mark.slow

GRACE_SECONDS = 30.0
"""Kubernetes' default ``terminationGracePeriodSeconds``: the time between a pod's SIGTERM and its SIGKILL."""
STRATEGIES = "linear_svc_classifier,ema_crossover"
ARGS = ["--synthetic", "3000", "--strategies", STRATEGIES, "--population", "8", "--generations", "4"]
ENV = {**os.environ, "NUMBA_NUM_THREADS": "2"}  # a pool of two worker processes


def genepool(home: Path, *args: str, new_session: bool = False) -> subprocess.Popen:
    """``genepool evolve`` with its state (the run's record, its checkpoints' index) under ``home``, never the
    developer's."""
    return subprocess.Popen(
        [sys.executable, "-c", "from workloads.cli import main; main()", "evolve", *ARGS, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**ENV, "GENEPOOL_HOME": str(home)},
        cwd=home.parent,
        start_new_session=new_session,
    )


def shared_segments(pid: int) -> set[str]:
    """The POSIX shared-memory files process ``pid`` has mapped (the pool's shared bars)."""
    try:
        maps = Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return set()
    return {line.split()[-1] for line in maps.splitlines() if "/dev/shm/psm_" in line}


def wait_for_pool_after_generation(process: subprocess.Popen, checkpoint: Path) -> set[str]:
    """Wait until generation ``checkpoint`` is saved and the pool's shared bars are mapped; return the segments."""
    deadline = time.monotonic() + 600
    while True:
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline, "the run never reached the generation with its pool up"
        segments = shared_segments(process.pid)
        if segments and checkpoint.exists():
            return segments
        time.sleep(0.05)


def stop(process: subprocess.Popen, signum: int, group: bool) -> tuple[float, str, str]:
    """Send ``signum`` (to the process group, as a terminal's Ctrl-C does, or to the process, as the kubelet
    does); return (seconds from the signal to the exit, stdout, stderr)."""
    sent = time.monotonic()
    if group:
        os.killpg(process.pid, signum)
    else:
        os.kill(process.pid, signum)
    out, err = process.communicate(timeout=GRACE_SECONDS * 2)
    return time.monotonic() - sent, out, err


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> dict:
    config = EvolutionConfig(population=8, generations=4, random_seed=0)
    summary = run_evolution(
        generate(3000, 0, funding=True),
        config,
        runs_dir=tmp_path_factory.mktemp("whole"),
        run_id="whole",
        strategies=STRATEGIES.split(","),
    )
    return json.loads(json.dumps(summary.as_json()))


@pytest.mark.parametrize(
    ("signum", "code", "group"),
    [(signal.SIGTERM, 143, False), (signal.SIGINT, 130, True)],
    ids=["sigterm-to-the-process", "sigint-to-the-group"],
)
def test_a_signal_with_the_ml_pool_up_exits_cleanly_and_resumes(tmp_path, uninterrupted, signum, code, group):
    runs = tmp_path / "runs"
    home = tmp_path / "home"
    process = genepool(home, "--run-id", "stopped", "--runs-dir", str(runs), "--json", new_session=group)
    segments = wait_for_pool_after_generation(process, runs / "stopped" / "checkpoints" / "gen-00001.ckpt")

    seconds, _, err = stop(process, signum, group)
    print(f"\n{signal.Signals(signum).name}: exit {process.returncode} {seconds:.2f} s after the signal")

    assert process.returncode == code, err
    assert seconds < GRACE_SECONDS
    assert "leaked" not in err and "Traceback" not in err, err
    assert f"stopped by {signal.Signals(signum).name}: run stopped, checkpoint of generation" in err
    assert not [segment for segment in segments if Path(segment).exists()]

    resumed = genepool(home, "--resume", "stopped", "--runs-dir", str(runs), "--json")
    out, err = resumed.communicate(timeout=900)
    assert resumed.returncode == 0, err
    summary = json.loads(out)
    assert summary["hall_of_fame"] == uninterrupted["hall_of_fame"]
    assert [g["generation"] for g in summary["generations"]] == [0, 1, 2, 3]


def test_run_evolution_works_from_a_script_without_a_main_guard(tmp_path):
    script = tmp_path / "unguarded.py"
    script.write_text(
        textwrap.dedent(
            f"""
            from workloads.data.synthetic import generate
            from workloads.evolution.config import EvolutionConfig
            from workloads.evolution.process_pool import ProcessPool
            from workloads.evolution.run import run_evolution

            started = []
            original = ProcessPool._start
            ProcessPool._start = lambda self: (started.append(self.size), original(self))[1]
            print("top level ran", flush=True)
            summary = run_evolution(
                generate(3000, 1, funding=True),
                EvolutionConfig(population=6, generations=2, random_seed=3),
                runs_dir={str(tmp_path / "runs")!r},
                strategies=["linear_svc_classifier"],
            )
            print("pool of", max(started), "evaluated", summary.trials, "genomes", flush=True)
            """
        )
    )
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**ENV, "GENEPOOL_HOME": str(tmp_path / "home")},
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("top level ran") == 1
    assert "pool of 2 evaluated" in done.stdout
    assert "leaked" not in done.stderr
