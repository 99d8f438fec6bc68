"""A process pool for the seeds whose evaluation holds the GIL: the ML seeds (:func:`wants_processes`), plain
:class:`~workloads.seeds.base.Seed`\\ s whose rule is one scikit-learn fit per walk-forward block — Python holds
the GIL ~99.7% of a LinearSVC fit, so threads do not help. :class:`~workloads.evolution.backends.LocalBackend` sends
them here; every other seed stays on Numba's threads in-process.

Conventions:

- **Processes**: ``size`` workers started with ``spawn`` (forking a process whose Numba thread pool is live can
  deadlock), lazily on the first call, then reused for every later call until :meth:`ProcessPool.close` or
  interpreter exit (``atexit``). ``size <= 1`` starts nothing: every call runs in-process, as does a call with
  fewer than two rows. Starting costs each worker its imports (NumPy, Numba, scikit-learn: ~2 s of CPU), once.
  Unlike a plain ``spawn``, the workers do not import the caller's main module (it is hidden from multiprocessing
  while they start, :func:`_main_module_hidden`), so a script calling ``run_evolution`` at its top level, without an
  ``if __name__ == "__main__":`` guard, works and runs once. The price: a seed whose class is defined in that
  main module cannot be rebuilt in a worker, so it is evaluated in-process (as is any seed that does not pickle).
- **Bars**: each distinct :class:`~workloads.data.bars.Bars` object (by identity; the pool keeps it alive) is copied
  once into one shared-memory segment; a task names the segment and every worker maps it once. The arrays are never
  pickled per task. At most :data:`MAX_SHARED_BARS` are held; the oldest is released first. Bars that do not fit
  in ``/dev/shm`` (a container's is often 64 MB; writing past a full one kills the process with SIGBUS) are
  evaluated in-process instead, with a warning.
- **Tasks**: one parameter row each, sent to whichever worker is free (an ML row's cost varies ~20× with its
  genes), results placed by row index. A worker evaluates its row on each span with the same ``Seed.evaluate`` as
  the serial path; every row is evaluated independently and fits run single-threaded, so the metrics are bit for
  bit those of serial evaluation, whatever the size or the order of completion.
- **Errors**: an exception raised in a worker is re-raised in the caller with its type and message (the worker's
  traceback as ``__cause__``), after every row has finished. If several rows fail, the one raised is the one
  serial evaluation raises first (span by span, then row by row). A worker that dies (OOM kill) fails the call
  with a ``RuntimeError`` and closes the pool; the next call starts a fresh one.
- **Interrupts**: workers ignore SIGINT; a caller interrupted mid-call (Ctrl-C, any exception while waiting)
  terminates the workers before re-raising. Each worker also exits as soon as its parent process is gone (a thread
  waits on the parent's sentinel), so a SIGTERM or SIGKILL of the command leaves no orphan; the shared segments of
  a parent killed that way are removed by multiprocessing's resource tracker.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import multiprocessing
import os
import pickle
import shutil
import signal
import sys
import threading
import traceback
import types
from collections import OrderedDict, deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from multiprocessing.shared_memory import SharedMemory
from typing import Any

import numpy as np

from workloads.data.bars import PRICE_FIELDS, Bars
from workloads.evolution.plan import Span, Workload, evaluate_spans
from workloads.kernels.metrics import N_METRICS
from workloads.kernels.simulate import SimConfig
from workloads.seeds.base import FusedSeed, Seed

MAX_SHARED_BARS = 4
SHM_DIR = "/dev/shm"
STOP_TIMEOUT = 5.0

log = logging.getLogger(__name__)


def wants_processes(seed: Seed) -> bool:
    """Whether ``seed`` is evaluated in the pool: a plain (not fused) seed of kind ``ml``. Other plain seeds (the
    tests' numpy rules) are cheap enough that starting processes would cost more than it saves."""
    return seed.kind == "ml" and not isinstance(seed, FusedSeed)


@dataclass(frozen=True)
class SharedBars:
    """Where one :class:`Bars` lives in shared memory: segment ``name`` holds ``timestamp`` (int64), then each of
    ``PRICE_FIELDS`` and, when ``has_funding``, ``funding_rate`` (float64), ``length`` values each, back to back."""

    name: str
    length: int
    has_funding: bool
    symbol: str
    source: str

    @property
    def columns(self) -> tuple[str, ...]:
        return ("timestamp", *PRICE_FIELDS, *(("funding_rate",) if self.has_funding else ()))

    @property
    def nbytes(self) -> int:
        return 8 * self.length * len(self.columns)

    def views(self, buffer: Any) -> Bars:
        """:class:`Bars` whose arrays are views of ``buffer`` (a segment's ``buf``; writable, as the serial path's
        arrays are, so the kernels run the same compiled signature — nothing writes to them)."""
        arrays = {
            column: np.ndarray(
                (self.length,), np.int64 if column == "timestamp" else np.float64, buffer, 8 * self.length * k
            )
            for k, column in enumerate(self.columns)
        }
        return Bars(symbol=self.symbol, source=self.source, funding_rate=arrays.pop("funding_rate", None), **arrays)


@dataclass(frozen=True)
class _Task:
    row: int
    seed: bytes
    bars: SharedBars
    live: tuple[str, ...]
    spans: tuple[Span, ...]
    sim: SimConfig
    params: np.ndarray


class WorkerTraceback(Exception):
    """The traceback of an exception raised in a worker (set as the re-raised exception's ``__cause__``)."""


class ProcessPool:
    """``size`` spawned worker processes evaluating plain seeds over walk-forward spans (see the module doc). One
    caller at a time (the evolution's loop); not thread-safe."""

    def __init__(self, size: int) -> None:
        self.size = int(size)
        self.bars_shared = 0  # segments created so far: one per distinct Bars (the tests hold it to that)
        self._warned = False  # about bars too big for shared memory (once per pool)
        self._processes: list[BaseProcess] = []
        self._connections: list[Connection] = []
        self._shared: OrderedDict[int, tuple[Bars, SharedMemory, SharedBars]] = OrderedDict()

    @property
    def started(self) -> bool:
        return bool(self._processes)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._processes if p.pid is not None]

    def evaluate_spans(
        self, seed: Seed, bars: Bars, spans: Sequence[Span], sim: SimConfig, params: np.ndarray
    ) -> np.ndarray:
        """``(n, len(spans), N_METRICS)`` metrics of ``(n, g)`` parameter rows, span ``k`` evaluated on
        ``bars.slice(0, span.end)`` with ``trade_start = span.start`` — equal to serial evaluation bit for bit."""
        params = np.ascontiguousarray(params, dtype=np.float64)
        spans = tuple(spans)
        blob = self._pickled(seed)
        if (
            self.size <= 1
            or blob is None
            or len(bars) == 0
            or params.ndim != 2
            or params.shape[0] < 2
            or params.shape[1] != len(seed.genes)
            or not self._can_share(bars)
        ):
            return _evaluate_serially(seed, bars, spans, sim, params)
        self._start()
        shared = self._share(bars)
        live = tuple(entry[2].name for entry in self._shared.values())
        out = np.empty((params.shape[0], len(spans), N_METRICS))
        failures: list[tuple[int, int, BaseException, str]] = []
        pending = deque(range(params.shape[0]))
        busy: dict[Connection, int] = {}
        try:
            for connection in self._connections:
                if pending:
                    busy[connection] = self._send(connection, pending.popleft(), blob, shared, live, spans, sim, params)
            while busy:
                for ready in wait(list(busy)):
                    assert isinstance(ready, Connection)
                    row = busy.pop(ready)
                    reply = self._receive(ready)
                    if reply[0] == "ok":
                        out[row] = reply[1]
                    else:
                        _, span, exc, text = reply
                        failures.append((span, row, exc, text))
                    if pending:
                        busy[ready] = self._send(ready, pending.popleft(), blob, shared, live, spans, sim, params)
        except BaseException:
            self.close(terminate=True)
            raise
        if failures:
            _, _, exc, text = min(failures, key=lambda failure: failure[:2])
            raise exc from WorkerTraceback(text)
        return out

    def close(self, terminate: bool = False) -> None:
        """Stop the workers (asked to exit, or with ``terminate`` killed at once; either way terminated after
        :data:`STOP_TIMEOUT` seconds) and release the shared bars. The pool can be used again (it restarts)."""
        for connection in self._connections:
            if not terminate:
                with contextlib.suppress(OSError):  # a worker already gone
                    connection.send(None)
        for process in self._processes:
            if not terminate:
                process.join(STOP_TIMEOUT)
            if process.is_alive():
                process.terminate()
                process.join(STOP_TIMEOUT)
            if process.is_alive():
                process.kill()
                process.join()
        for connection in self._connections:
            connection.close()
        self._processes, self._connections = [], []
        for _, segment, _ in self._shared.values():
            _release(segment)
        self._shared.clear()
        _STARTED.discard(self)

    # -- internals ------------------------------------------------------------------------------------------------
    @staticmethod
    def _pickled(seed: Seed) -> bytes | None:
        if type(seed).__module__ == "__main__":  # the workers do not import the main module: in-process
            return None
        try:
            return pickle.dumps(seed)
        except Exception:  # a seed class a worker cannot import (defined in a function): evaluated in-process
            return None

    def _start(self) -> None:
        if self._processes and all(process.is_alive() for process in self._processes):
            return
        self.close(terminate=True)  # not started yet, or a worker died between calls: start afresh
        _STARTED.add(self)
        context = multiprocessing.get_context("spawn")
        for _ in range(self.size):
            ours, theirs = context.Pipe()
            process = context.Process(target=_worker_main, args=(theirs,), name="genepool-eval", daemon=True)
            with _main_module_hidden():
                process.start()
            theirs.close()
            self._processes.append(process)
            self._connections.append(ours)

    def _can_share(self, bars: Bars) -> bool:
        entry = self._shared.get(id(bars))
        if entry is not None and entry[0] is bars:
            return True
        needed = SharedBars("", len(bars), bars.has_funding, "", "").nbytes
        try:
            free = shutil.disk_usage(SHM_DIR).free
        except OSError:  # no /dev/shm (macOS): shared memory there is not a size-limited file system
            return True
        if free >= needed:
            return True
        if not self._warned:
            self._warned = True
            log.warning(
                "%d bars need %d bytes of shared memory, %s has %d free: evaluating in-process",
                len(bars),
                needed,
                SHM_DIR,
                free,
            )
        return False

    def _share(self, bars: Bars) -> SharedBars:
        key = id(bars)
        entry = self._shared.get(key)
        if entry is not None and entry[0] is bars:
            self._shared.move_to_end(key)
            return entry[2]
        if entry is not None:  # an id reused by a new object cannot happen while we hold the old one; be safe
            _release(self._shared.pop(key)[1])
        while len(self._shared) >= MAX_SHARED_BARS:
            _release(self._shared.popitem(last=False)[1][1])
        layout = SharedBars("", len(bars), bars.has_funding, bars.symbol, bars.source)
        segment = SharedMemory(create=True, size=layout.nbytes)
        layout = SharedBars(segment.name, layout.length, layout.has_funding, layout.symbol, layout.source)
        copy = layout.views(segment.buf)
        for column in layout.columns:
            getattr(copy, column)[:] = getattr(bars, column)
        del copy
        self._shared[key] = (bars, segment, layout)
        self.bars_shared += 1
        return layout

    def _send(
        self,
        connection: Connection,
        row: int,
        seed: bytes,
        bars: SharedBars,
        live: tuple[str, ...],
        spans: tuple[Span, ...],
        sim: SimConfig,
        params: np.ndarray,
    ) -> int:
        try:
            connection.send(_Task(row, seed, bars, live, spans, sim, params[row : row + 1]))
        except OSError as exc:
            raise self._died(connection) from exc
        return row

    def _receive(self, connection: Connection) -> tuple[Any, ...]:
        try:
            reply: tuple[Any, ...] = connection.recv()
        except (EOFError, OSError) as exc:
            raise self._died(connection) from exc
        return reply

    def _died(self, connection: Connection) -> RuntimeError:
        index = self._connections.index(connection)
        process = self._processes[index]
        process.join(1.0)
        return RuntimeError(f"evaluation worker {index} (pid {process.pid}) exited with code {process.exitcode}")


_MAIN_LOCK = threading.Lock()


@contextlib.contextmanager
def _main_module_hidden() -> Iterator[None]:
    """While a worker starts, ``sys.modules["__main__"]`` is an empty module with neither ``__file__`` nor
    ``__spec__``: ``spawn`` reads the main module's path or name when the process starts (its preparation data) and
    finds none to re-import, as when the caller runs from ``python -c``. The worker's target is pickled by its own
    module's name, so it does not need the caller's main module."""
    with _MAIN_LOCK:
        main = sys.modules.get("__main__")
        stand_in = types.ModuleType("__main__")
        stand_in.__spec__ = None
        sys.modules["__main__"] = stand_in
        try:
            yield
        finally:
            if main is None:
                del sys.modules["__main__"]
            else:
                sys.modules["__main__"] = main


def _evaluate_serially(
    seed: Seed, bars: Bars, spans: tuple[Span, ...], sim: SimConfig, params: np.ndarray
) -> np.ndarray:
    """The serial path, :func:`workloads.evolution.plan.evaluate_spans`."""
    return evaluate_spans(seed, Workload(bars, spans, sim), params)


def _release(segment: SharedMemory) -> None:
    segment.close()
    with contextlib.suppress(FileNotFoundError):
        segment.unlink()


# -- the worker process ---------------------------------------------------------------------------------------------
def _worker_main(connection: Connection) -> None:
    """A worker's loop: evaluate one row per task until told to stop (``None``) or the parent is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent()
    attached: dict[str, tuple[SharedMemory, Bars]] = {}
    seeds: dict[bytes, Seed] = {}
    while True:
        try:
            task = connection.recv()
        except (EOFError, OSError):
            break
        if task is None:
            break
        for name in [name for name in attached if name not in task.live]:
            _close_quietly(attached.pop(name)[0])  # the tuple, and with it the views, go first
        try:
            if task.bars.name not in attached:
                segment = SharedMemory(name=task.bars.name)
                attached[task.bars.name] = (segment, task.bars.views(segment.buf))
            if task.seed not in seeds:
                seeds[task.seed] = pickle.loads(task.seed)
        except Exception as exc:  # before any span: reported ahead of every rule's own error
            connection.send(("error", -1, _picklable(exc), traceback.format_exc()))
            continue
        connection.send(_evaluate_row(seeds[task.seed], attached[task.bars.name][1], task))
    segments = [segment for segment, _ in attached.values()]
    attached.clear()
    for segment in segments:
        _close_quietly(segment)


def _evaluate_row(seed: Seed, bars: Bars, task: _Task) -> tuple[Any, ...]:
    """``("ok", (len(spans), N_METRICS) metrics)`` or ``("error", span index, exception, traceback text)``."""
    out = np.empty((len(task.spans), N_METRICS))
    for k, span in enumerate(task.spans):
        try:
            out[k] = seed.evaluate(bars.slice(0, span.end), task.params, task.sim, span.start)[0]
        except Exception as exc:
            return ("error", k, _picklable(exc), traceback.format_exc())
    return ("ok", out)


def _picklable(exc: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def _close_quietly(segment: SharedMemory) -> None:
    with contextlib.suppress(BufferError):  # a view still referenced somewhere: the mapping goes with the process
        segment.close()


def _exit_with_parent() -> None:
    parent = multiprocessing.parent_process()
    if parent is None or parent.sentinel is None:
        return

    def watch(sentinel: int) -> None:
        wait([sentinel])
        os._exit(1)

    threading.Thread(target=watch, args=(parent.sentinel,), name="parent-watch", daemon=True).start()


# -- interpreter exit -------------------------------------------------------------------------------------------------
_STARTED: set[ProcessPool] = set()  # pools with workers or shared bars, until closed


@atexit.register
def _close_started_pools() -> None:
    for pool in list(_STARTED):
        pool.close(terminate=True)
