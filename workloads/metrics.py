"""Prometheus metrics the workload exports (prometheus-client, Prometheus naming conventions).

Every metric the code exports is defined here, once; dashboards and alert rules in ``infra/`` may name only these
(a test holds them to it). Units are in the names: ``_seconds``, ``_total`` for counters.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

GENERATIONS = Counter("genepool_generations", "Generations completed, per strategy seed.", ["strategy"])
EVALUATIONS = Counter(
    "genepool_evaluations", "Genomes evaluated by the fitness kernel, per strategy seed.", ["strategy"]
)
EVALUATION_DURATION = Histogram(
    "genepool_evaluation_duration_seconds",
    "Wall time of one batched fitness evaluation (one seed, one generation), per backend.",
    ["backend"],
    buckets=(0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
BEST_FITNESS = Gauge(
    "genepool_best_fitness", "Best fitness found so far in the current run, per strategy seed.", ["strategy"]
)
PROMOTIONS = Counter(
    "genepool_promotions",
    "Hall-of-fame entries a finished run's verdict promoted (every gate passed), per strategy seed.",
    ["strategy"],
)
LAST_GENERATION_HELP = "Unix time at which the last generation of any run completed."
LAST_GENERATION = Gauge("genepool_last_generation_timestamp_seconds", LAST_GENERATION_HELP)
"""Set by the ``evolve`` driver; the API exports it from storage (:mod:`workloads.service.storage_metrics`)."""
MARKET_DATA_LAST_BAR_HELP = "Open time (Unix seconds) of the last stored bar, per stored symbol."
MARKET_DATA_LAST_BAR = Gauge("genepool_market_data_last_bar_timestamp_seconds", MARKET_DATA_LAST_BAR_HELP, ["symbol"])
"""Set by ``genepool data fetch``; the API exports it from storage (:mod:`workloads.service.market_data_metrics`)."""
MARKET_DATA_BAR_INTERVAL_HELP = "Spacing (seconds) between the last two stored bars, per stored symbol."
"""Exported by the API only, from storage (the MarketDataStale alert counts staleness in these intervals)."""
MARKET_DATA_FETCH_ERRORS = Counter(
    "genepool_market_data_fetch_errors",
    "Exchange requests of `genepool data fetch` that failed (each retry counts), per exchange and symbol.",
    ["exchange", "symbol"],
)
WORKER_FAILURES = Counter(
    "genepool_worker_failures", "Evaluation workers lost mid-generation (e.g. spot reclaim) and replaced.", ["backend"]
)
CACHE_HITS = Counter("genepool_cache_hits", "Fitness-cache hits.")
CACHE_MISSES = Counter("genepool_cache_misses", "Fitness-cache misses.")
CACHE_ERRORS = Counter("genepool_cache_errors", "Fitness-cache operations that failed (cache unavailable).")
STORAGE_ERRORS = Counter("genepool_storage_errors", "Storage operations that failed, per operation.", ["operation"])
HTTP_REQUESTS = Counter(
    "genepool_http_requests",
    "HTTP requests served by the API, per method, route and status.",
    ["method", "route", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "genepool_http_request_duration_seconds",
    "HTTP request latency of the API, per method and route.",
    ["method", "route"],
)

EXPORTED_METRIC_NAMES: frozenset[str] = frozenset(
    {
        "genepool_generations_total",
        "genepool_evaluations_total",
        "genepool_evaluation_duration_seconds_bucket",
        "genepool_evaluation_duration_seconds_sum",
        "genepool_evaluation_duration_seconds_count",
        "genepool_best_fitness",
        "genepool_promotions_total",
        "genepool_last_generation_timestamp_seconds",
        "genepool_market_data_last_bar_timestamp_seconds",
        "genepool_market_data_bar_interval_seconds",
        "genepool_market_data_fetch_errors_total",
        "genepool_worker_failures_total",
        "genepool_cache_hits_total",
        "genepool_cache_misses_total",
        "genepool_cache_errors_total",
        "genepool_storage_errors_total",
        "genepool_http_requests_total",
        "genepool_http_request_duration_seconds_bucket",
        "genepool_http_request_duration_seconds_sum",
        "genepool_http_request_duration_seconds_count",
    }
)
"""Sample names as scraped (counters gain ``_total``, histograms ``_bucket/_sum/_count``)."""
