"""How the bench times a call in this process: the least CPU seconds of the process (``time.process_time``) over
a few runs, so other processes on the cores count less than they do in wall time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def best_cpu_seconds(call: Callable[[], T], repeats: int) -> tuple[T, float]:
    """``call``'s result (of its last run) and its least CPU seconds of the process over ``repeats`` runs
    (``repeats >= 1``; on one Numba thread the process's CPU time is the thread's)."""
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        result = call()
        best = min(best, time.process_time() - started)
    return result, best
