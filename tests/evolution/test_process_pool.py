"""The process pool of the ML seeds (workloads/evolution/process_pool.py): the same metrics as serial
evaluation bit for bit, worker errors surfacing as serial's, the size following Numba's thread count, the bars
shared once, and no worker outliving its parent."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import textwrap
import time
from multiprocessing.connection import wait
from typing import ClassVar

import numba
import numpy as np
import pytest

from tests.evolution.conftest import MomentumSeed
from workloads.data.bars import Bars
from workloads.data.synthetic import generate
from workloads.evolution.backends import LocalBackend
from workloads.evolution.plan import Span, Workload, evaluate_spans
from workloads.evolution.process_pool import ProcessPool, WorkerTraceback
from workloads.kernels.simulate import SimConfig
from workloads.seeds.base import Seed
from workloads.seeds.registry import get_seed

ML_SEEDS = ("linear_svc_classifier", "pca_tree_quantile")
SPANS = (Span(130, 200), Span(200, 260), Span(260, 320))
SIM = SimConfig(0.001, 0.0005, False, 0.0, 8766.0)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class FailingSeed(MomentumSeed):
    """Fails on some rows, on some spans: window 7 from the second span on, window 9 on every span (so serial
    evaluation, span by span, meets window 9 first whatever the row order)."""

    name: ClassVar[str] = "fake_failing"

    def targets(self, bars: Bars, params_row: np.ndarray, start: int = 0) -> np.ndarray:
        window = int(params_row[0])
        if window == 9 or (window == 7 and len(bars) > SPANS[0].end):
            raise ValueError(f"window {window} cannot trade {len(bars)} bars")
        return super().targets(bars, params_row, start)


class DyingSeed(MomentumSeed):
    """Kills the worker evaluating window 13 (as an OOM kill would); never runs in the test process itself."""

    name: ClassVar[str] = "fake_dying"

    def targets(self, bars: Bars, params_row: np.ndarray, start: int = 0) -> np.ndarray:
        if int(params_row[0]) == 13 and multiprocessing.parent_process() is not None:
            os._exit(3)
        return super().targets(bars, params_row, start)


@pytest.fixture(scope="module")
def bars() -> Bars:
    return generate(320, 11, funding=True)


@pytest.fixture(scope="module")
def pool():
    pool = ProcessPool(2)
    yield pool
    pool.close()


def ml_rows(seed: Seed, n: int, random_seed: int) -> np.ndarray:
    """``n`` repaired parameter rows with short windows (many refits on 320 bars)."""
    rng = np.random.default_rng(random_seed)
    params = seed.genes.decode(rng.random((n, len(seed.genes))))
    params[:, seed.genes.index("train_window")] = rng.integers(100, 110, n)
    params[:, seed.genes.index("retrain_every")] = rng.integers(10, 40, n)
    return seed.repair(params)[0]


def bitwise_equal(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and np.array_equal(a.view(np.int64), b.view(np.int64))


@pytest.mark.parametrize("name", ML_SEEDS)
def test_pool_equals_serial_bit_for_bit(pool, bars, name):
    seed = get_seed(name)
    params = ml_rows(seed, 7, random_seed=3)
    serial = evaluate_spans(seed, Workload(bars, SPANS, SIM), params)
    pooled = pool.evaluate_spans(seed, bars, SPANS, SIM, params)
    assert pool.started
    assert np.isfinite(serial).any()
    assert bitwise_equal(serial, pooled)
    assert np.array_equal(serial, pooled, equal_nan=True)


def test_local_backend_sends_ml_seeds_to_the_pool_with_the_same_metrics(bars, monkeypatch):
    # Two Numba threads, as on any machine with two cores or more: the pool then has two processes (one thread
    # keeps everything in-process; test_size_follows_numba_threads covers that).
    monkeypatch.setattr(numba, "get_num_threads", lambda: 2)
    seeds = {name: get_seed(name) for name in (*ML_SEEDS, "ema_crossover")}
    workload = Workload(bars, SPANS, SIM)
    backend = LocalBackend(workload, seeds)
    try:
        for name, seed in seeds.items():
            params = ml_rows(seed, 4, random_seed=5) if seed.kind == "ml" else seed.genes.defaults()[None, :]
            assert bitwise_equal(backend.evaluate(name, params), evaluate_spans(seed, workload, params))
        assert backend.processes.started
        pids = backend.processes.pids
    finally:
        backend.close()
    assert not backend.processes.started
    assert all(not _alive(pid) for pid in pids)


def test_worker_error_surfaces_as_serial_raises_it(pool, bars):
    seed = FailingSeed()
    params = np.array([[5.0, 0.0], [7.0, 0.0], [6.0, 0.001], [9.0, 0.0], [12.0, 0.0]])
    with pytest.raises(ValueError) as serial:
        evaluate_spans(seed, Workload(bars, SPANS, SIM), params)
    with pytest.raises(ValueError) as pooled:
        pool.evaluate_spans(seed, bars, SPANS, SIM, params)
    assert str(pooled.value) == str(serial.value) == f"window 9 cannot trade {SPANS[0].end} bars"
    assert isinstance(pooled.value.__cause__, WorkerTraceback)
    assert "cannot trade" in str(pooled.value.__cause__)
    ok = params[[0, 2, 4]]  # the pool is still usable after an error
    assert bitwise_equal(
        pool.evaluate_spans(seed, bars, SPANS, SIM, ok), evaluate_spans(seed, Workload(bars, SPANS, SIM), ok)
    )


def test_bars_are_shared_once_per_distinct_bars(pool):
    fresh = generate(320, 21, funding=True)
    before = pool.bars_shared
    seed = get_seed("pca_tree_quantile")
    params = ml_rows(seed, 3, random_seed=7)
    first = pool.evaluate_spans(seed, fresh, SPANS, SIM, params)
    assert pool.bars_shared == before + 1
    svc = get_seed("linear_svc_classifier")
    pool.evaluate_spans(svc, fresh, SPANS, SIM, ml_rows(svc, 2, random_seed=8))
    again = pool.evaluate_spans(seed, fresh, SPANS, SIM, params)
    assert pool.bars_shared == before + 1  # the same Bars: not copied or sent again
    assert bitwise_equal(first, again)
    pool.evaluate_spans(seed, generate(320, 12, funding=False), SPANS, SIM, params)
    assert pool.bars_shared == before + 2


def test_size_follows_numba_threads(bars):
    threads = numba.get_num_threads()
    seed = get_seed("linear_svc_classifier")
    params = ml_rows(seed, 3, random_seed=9)
    workload = Workload(bars, SPANS, SIM)
    try:
        numba.set_num_threads(1)
        single = LocalBackend(workload, {seed.name: seed})
        assert single.workers == single.processes.size == 1
        assert bitwise_equal(single.evaluate(seed.name, params), evaluate_spans(seed, workload, params))
        assert not single.processes.started  # one thread: in-process
        single.close()
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        full = LocalBackend(workload, {seed.name: seed})
        assert full.processes.size == full.workers == numba.config.NUMBA_NUM_THREADS
        full.close()
    finally:
        numba.set_num_threads(threads)


def test_one_row_and_size_one_stay_in_process(bars):
    seed = get_seed("linear_svc_classifier")
    params = ml_rows(seed, 2, random_seed=11)
    serial = evaluate_spans(seed, Workload(bars, SPANS, SIM), params)
    one = ProcessPool(1)
    assert bitwise_equal(one.evaluate_spans(seed, bars, SPANS, SIM, params), serial)
    two = ProcessPool(2)
    assert bitwise_equal(two.evaluate_spans(seed, bars, SPANS, SIM, params[:1]), serial[:1])
    assert not one.started and not two.started and one.bars_shared == two.bars_shared == 0


def test_bars_too_big_for_shared_memory_stay_in_process(bars, monkeypatch, caplog):
    import shutil
    from types import SimpleNamespace

    monkeypatch.setattr(shutil, "disk_usage", lambda path: SimpleNamespace(total=1 << 20, used=1 << 20, free=1000))
    seed = get_seed("pca_tree_quantile")
    params = ml_rows(seed, 2, random_seed=19)
    small = ProcessPool(2)
    assert bitwise_equal(
        small.evaluate_spans(seed, bars, SPANS, SIM, params), evaluate_spans(seed, Workload(bars, SPANS, SIM), params)
    )
    assert not small.started and small.bars_shared == 0
    assert "evaluating in-process" in caplog.text


def test_a_worker_dead_between_calls_is_replaced(pool, bars):
    seed = get_seed("linear_svc_classifier")
    params = ml_rows(seed, 2, random_seed=13)
    expected = pool.evaluate_spans(seed, bars, SPANS, SIM, params)
    old = pool.pids
    os.kill(old[0], 9)
    # Fully exited, not just its main thread a zombie (the others may still be tearing down): its sentinel is closed.
    _wait_until(lambda: bool(wait([pool._processes[0].sentinel], timeout=0)))
    assert bitwise_equal(pool.evaluate_spans(seed, bars, SPANS, SIM, params), expected)
    assert set(pool.pids).isdisjoint(old)


def test_a_worker_dying_mid_call_fails_it_and_the_pool_restarts(pool, bars):
    with pytest.raises(RuntimeError, match=r"evaluation worker \d \(pid \d+\) exited with code 3"):
        pool.evaluate_spans(DyingSeed(), bars, SPANS, SIM, np.array([[5.0, 0.0], [13.0, 0.0], [6.0, 0.0]]))
    assert not pool.started  # the survivors were stopped with it
    seed = get_seed("pca_tree_quantile")
    params = ml_rows(seed, 2, random_seed=17)
    assert bitwise_equal(
        pool.evaluate_spans(seed, bars, SPANS, SIM, params), evaluate_spans(seed, Workload(bars, SPANS, SIM), params)
    )


@pytest.mark.slow
def test_workers_exit_when_the_parent_is_killed(tmp_path):
    """SIGKILL (and so SIGTERM, which skips the same clean-up) of the parent leaves no worker behind."""
    script = textwrap.dedent(
        """
        import os, sys
        from workloads.data.synthetic import generate
        from workloads.evolution.plan import Span
        from workloads.evolution.process_pool import ProcessPool
        from workloads.kernels.simulate import SimConfig
        from workloads.seeds.registry import get_seed

        if __name__ == "__main__":
            seed = get_seed("linear_svc_classifier")
            pool = ProcessPool(2)
            pool.evaluate_spans(seed, generate(320, 11), [Span(130, 320)], SimConfig(0.0, 0.0, False, 0.0, 8766.0),
                                seed.repair(seed.genes.decode([[0.0, 0.0, 0.5, 0.5], [0.1, 0.1, 0.5, 0.5]]))[0])
            print(" ".join(map(str, pool.pids)), flush=True)
            os.kill(os.getpid(), 9)
        """
    )
    path = tmp_path / "parent.py"
    path.write_text(script)
    env = dict(os.environ, PYTHONPATH=ROOT)
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == -9, done.stderr
    pids = [int(pid) for pid in done.stdout.split()]
    assert len(pids) == 2
    _wait_until(lambda: not any(_alive(pid) for pid in pids))


def _alive(pid: int) -> bool:
    """The process exists and is not a zombie (read from /proc where there is one)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        if os.path.isdir("/proc"):
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_until(condition, limit: float = 60.0) -> None:
    """Poll ``condition`` until it holds (a bound against hanging, not a timing assertion)."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "condition still false"
        time.sleep(0.1)
