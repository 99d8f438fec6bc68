"""Metrics the API derives from storage on each scrape, for alerts that must hold between evolution runs.

``genepool_last_generation_timestamp_seconds`` is also set by the ``genepool evolve`` driver while it runs; the API
exports the same meaning (the most recent generation recorded by any run) from storage, so the EvolutionStalled
alert (``time() - max(...)``) still fires when no scheduled run exists at all. No sample is exported when storage
holds no generation; a storage failure during the scrape is counted in ``genepool_storage_errors_total`` (by the
storage layer) and exports nothing rather than failing ``/metrics``.

The read retries for at most :data:`SCRAPE_RETRY_SECONDS` (every other storage call keeps the backend's 30 s), so a
scrape during a database outage answers in time and the API target stays up: the outage shows as a missing sample,
in ``genepool_storage_errors_total`` and (when we run the server) PostgreSQLDown, not as the API's TargetDown.

The scrape reads through storage that need not be migrated and never migrates it: a database without the schema yet
holds no generation, so it exports no sample (see :meth:`Storage.last_generation_time`). Migrating at scrape time
instead would bound a scrape only by the whole migration (several transactions, each with its own retry budget, and
DDL), and an API started during an outage would keep its scrapes waiting on it; the ``/v1`` endpoints migrate on
first use, with the full budget.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from workloads.metrics import LAST_GENERATION_HELP
from workloads.service.market_data_metrics import LAST_BAR_NAME, MarketDataCollector
from workloads.service.scrape_reads import read_for_scrape
from workloads.service.worker_metrics import process_metrics_source
from workloads.storage import Storage

log = logging.getLogger(__name__)
LAST_GENERATION_NAME = "genepool_last_generation_timestamp_seconds"
SCRAPE_RETRY_SECONDS = 3.0
"""Retry budget (seconds) of the scrape-time storage read, waiting for a pooled connection included.

Prometheus gives up on a scrape after its scrape timeout, 10 s here: neither our ServiceMonitor
(``infra/components/monitoring.py``, ``interval: 30s``) nor ``prometheusSpec`` in
``infra/components/values/kube-prometheus-stack.yaml`` sets ``scrapeTimeout``, so Prometheus' default applies. A
scrape that times out marks the API target down, and TargetDown would page for the database instead of the API.
3 s spends under a third of that timeout, leaving the rest for the query itself and the exposition, and is still long
enough to replace a dropped pooled connection or wait out a server that is back within seconds; a longer outage loses
only this sample, which Prometheus reads again at the next scrape, 30 s later."""


class LastGenerationCollector:
    """Yields ``genepool_last_generation_timestamp_seconds`` read from ``storage()`` at scrape time, retrying for at
    most :data:`SCRAPE_RETRY_SECONDS`. ``storage()`` must answer without a round trip to the database and need not
    be migrated (:meth:`workloads.service.state.AppState.storage`); nothing here migrates it."""

    def __init__(self, storage: Callable[[], Storage]) -> None:
        self._storage = storage

    def collect(self) -> Iterator[Metric]:
        seconds = read_for_scrape(
            log,
            "last_generation_time",
            "the last generation time from storage",
            lambda: self._storage().last_generation_time(retry_seconds=SCRAPE_RETRY_SECONDS),
        )
        if seconds is not None:
            yield GaugeMetricFamily(LAST_GENERATION_NAME, LAST_GENERATION_HELP, value=seconds)


class _ProcessMetrics:
    """The counted metrics (this process's registry, or every worker's merged: :mod:`workloads.service.worker_metrics`)
    without the gauges the API derives from storage instead (the driver's last-generation gauge would always read 0
    here; the fetcher's last-bar gauge would be empty)."""

    def __init__(self) -> None:
        self._source = process_metrics_source()

    def collect(self) -> Iterator[Metric]:
        derived = (LAST_GENERATION_NAME, LAST_BAR_NAME)
        return (family for family in self._source.collect() if family.name not in derived)


def api_registry(storage: Callable[[], Storage]) -> CollectorRegistry:
    """The registry the API's ``/metrics`` serves: process metrics plus those derived from ``storage()`` (migrated
    or not, see :class:`LastGenerationCollector`)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ProcessMetrics())
    registry.register(LastGenerationCollector(storage))
    registry.register(MarketDataCollector(storage, SCRAPE_RETRY_SECONDS))
    return registry


def process_registry() -> CollectorRegistry:
    """The process metrics without the storage-derived ones (what ``/metrics`` serves when the scrape ran out of
    budget)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ProcessMetrics())
    return registry
