"""Every worker counted: the Prometheus metrics of ``genepool serve --workers N`` (N > 1).

uvicorn's N worker processes each count the requests they serve, and a scrape of ``/metrics`` lands on one of them.
So ``serve`` puts prometheus-client in its multiprocess mode: before starting the workers it creates a private
directory (:func:`multiprocess_directory`, mode 0700, removed with its files when ``serve`` exits) and names it in
``PROMETHEUS_MULTIPROC_DIR``, which the workers inherit. Each worker then keeps its counters and histograms in
memory-mapped files there, one set per process id, and ``/metrics`` exports the merge of every worker's files
(:func:`process_metrics_source`): counters and histograms summed over the workers, including those that have
exited (a count never goes back). A worker leaving marks itself dead (``mark_process_dead``, which drops the files
of its live-mode gauges; the API sets none, the call keeps that true of any added later).

What the mode changes (prometheus-client's documented limits): no ``process_*``/``python_*`` collectors (they
describe one process), and a gauge set in a worker is exported once per process, labelled ``pid``. The gauges the
API exports are read from storage at scrape time (:mod:`workloads.service.storage_metrics`), so neither matters
here. With one worker the directory is not created and the process registry is served as is.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

MULTIPROC_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def multiprocess_directory() -> Iterator[Path]:
    """Inside the block, a fresh private directory named in ``PROMETHEUS_MULTIPROC_DIR`` (so processes started there
    count into it); on leaving, the variable is restored and the directory removed with the workers' files."""
    directory = Path(tempfile.mkdtemp(prefix="genepool-metrics-"))
    previous = os.environ.get(MULTIPROC_DIR_ENV)
    os.environ[MULTIPROC_DIR_ENV] = str(directory)
    try:
        yield directory
    finally:
        if previous is None:
            os.environ.pop(MULTIPROC_DIR_ENV, None)
        else:
            os.environ[MULTIPROC_DIR_ENV] = previous
        shutil.rmtree(directory, ignore_errors=True)


def multiprocess_mode() -> bool:
    """Whether this process counts into a multiprocess directory (a worker of ``serve --workers N``)."""
    return bool(os.environ.get(MULTIPROC_DIR_ENV))


def process_metrics_source() -> Any:
    """What ``/metrics`` collects the counted metrics from: the merge of every worker's files in multiprocess mode,
    else this process's registry."""
    from prometheus_client import REGISTRY

    if not multiprocess_mode():
        return REGISTRY
    from prometheus_client.multiprocess import MultiProcessCollector

    return MultiProcessCollector(None)  # type: ignore[no-untyped-call]  # prometheus_client leaves it unannotated


def mark_dead_at_exit() -> None:
    """In multiprocess mode, mark this process dead when it exits (see the module doc)."""
    if not multiprocess_mode():
        return
    from prometheus_client.multiprocess import mark_process_dead

    atexit.register(mark_process_dead, os.getpid())
