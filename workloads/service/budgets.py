"""The API's time and thread budgets, and the bounded executor that holds storage calls to them.

Everything that touches storage synchronously (psycopg 3's pool, DuckDB) runs on a :class:`BoundedExecutor` from an
``async`` route, so the event loop never blocks. ``/v1`` gets :data:`STORAGE_THREADS` threads; readiness and
``/metrics`` get their own :data:`HEALTH_THREADS`, so a database outage that occupies every ``/v1`` thread cannot
delay a probe or a scrape. A call waits for a thread at most for what is left of its budget, then gives up
(:class:`BudgetExceeded`, answered 503); a call that ran out of budget keeps its thread until the storage layer's own
bounded retries give up, so at most ``threads`` calls are ever in flight. Durations are in seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from workloads.service.storage_metrics import SCRAPE_RETRY_SECONDS

T = TypeVar("T")

V1_BUDGET_SECONDS = 2.0
"""Longest a ``/v1`` request waits for storage (a thread, a migration, the query with its retries) before 503."""
API_RETRY_SECONDS = 1.5
"""Retry budget of each storage call the API makes (the CLI's is 30 s): inside :data:`V1_BUDGET_SECONDS`."""
SIGNALS_BUDGET_SECONDS = 60.0
"""Longest a ``/v1/signals`` request may take when its document is not cached yet (replaying every stored bar)."""
READINESS_BUDGET_SECONDS = 2.5
"""Readiness answers within this (the probes' timeout in the cluster is 3 s)."""
METRICS_BUDGET_SECONDS = SCRAPE_RETRY_SECONDS + 2.0
"""``/metrics`` answers within this: the scrape-time read's own budget plus the exposition (Prometheus: 10 s)."""
STORAGE_THREADS = 10
"""Threads of the ``/v1`` storage calls."""
HEALTH_THREADS = 2
"""Threads of readiness and ``/metrics``."""


class BudgetExceeded(Exception):
    """A call did not get a thread or finish within its budget."""


class BoundedExecutor:
    """At most ``threads`` calls in flight; :meth:`run` gives up after ``budget`` seconds (see the module doc)."""

    def __init__(self, threads: int, name: str) -> None:
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix=name)
        self._slots = asyncio.Semaphore(threads)

    async def run(self, call: Callable[[], T], budget: float, *, total: float | None = None) -> T:
        """``call()`` on a thread: waits at most ``budget`` seconds for one, and for the result at most ``total``
        (default ``budget``) seconds from the start."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (budget if total is None else total)
        try:
            await asyncio.wait_for(self._slots.acquire(), budget)
        except TimeoutError:
            raise BudgetExceeded(f"no thread free within {budget:g} s") from None
        future = loop.run_in_executor(self._executor, call)
        future.add_done_callback(lambda _: self._slots.release())
        try:
            return await asyncio.wait_for(asyncio.shield(future), max(deadline - loop.time(), 0.0))
        except TimeoutError:
            raise BudgetExceeded("not finished within its budget") from None

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
