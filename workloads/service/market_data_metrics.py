"""Market-data staleness, derived from storage on each scrape of the API.

``genepool data fetch`` runs in short-lived CronJob pods that Prometheus never scrapes, so the API exports, per
stored symbol, what the MarketDataStale alert needs (infra/monitoring/alerts.yaml):

- ``genepool_market_data_last_bar_timestamp_seconds{symbol}``: the open time (Unix seconds) of the last stored bar
  (the same meaning as the gauge the fetch sets in its own process);
- ``genepool_market_data_bar_interval_seconds{symbol}``: the spacing between the last two stored bars, i.e. the
  series' timeframe (no sample for a single-bar series).

Like :mod:`workloads.service.storage_metrics`, the read is bounded by a short retry budget (its
``SCRAPE_RETRY_SECONDS``, passed in by ``api_registry``: one budget for every scrape-time read), needs no migrated
schema, and a failure exports nothing rather than failing ``/metrics`` (counted in
``genepool_storage_errors_total``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from workloads.metrics import MARKET_DATA_BAR_INTERVAL_HELP, MARKET_DATA_LAST_BAR_HELP
from workloads.service.scrape_reads import read_for_scrape
from workloads.storage import Storage

log = logging.getLogger(__name__)
LAST_BAR_NAME = "genepool_market_data_last_bar_timestamp_seconds"
BAR_INTERVAL_NAME = "genepool_market_data_bar_interval_seconds"


class MarketDataCollector:
    """Yields the two per-symbol gauges above, read from ``storage()`` at scrape time within ``retry_seconds``."""

    def __init__(self, storage: Callable[[], Storage], retry_seconds: float) -> None:
        self._storage = storage
        self._retry_seconds = retry_seconds

    def collect(self) -> Iterator[Metric]:
        rows = read_for_scrape(
            log,
            "last_bars",
            "the last stored bars",
            lambda: self._storage().last_bars(retry_seconds=self._retry_seconds),
        )
        if not rows:
            return
        last = GaugeMetricFamily(LAST_BAR_NAME, MARKET_DATA_LAST_BAR_HELP, labels=["symbol"])
        interval = GaugeMetricFamily(BAR_INTERVAL_NAME, MARKET_DATA_BAR_INTERVAL_HELP, labels=["symbol"])
        for symbol, last_ns, spacing_ns in rows:
            last.add_metric([symbol], last_ns / 1e9)
            if spacing_ns is not None:
                interval.add_metric([symbol], spacing_ns / 1e9)
        yield last
        yield interval
