"""Which metrics a PromQL query reads, and which metric names the workload really exports.

:func:`metric_names` parses a query with promql-parser (the Python binding of a Rust port of Prometheus' own parser)
and walks its syntax tree to every vector selector: a query that does not parse raises ``ValueError``, so a typo in
a dashboard fails here rather than as an empty Grafana panel.

:func:`exported_sample_names` asks prometheus-client itself, not a list kept by hand: the families of the process
registry that ``workloads.metrics`` defines (each labelled family as the samples it is scraped as: a counter
``<name>_total`` and ``<name>_created``, a histogram ``_bucket``/``_sum``/``_count``/``_created``, a gauge its name)
and the samples the API's ``/metrics`` registry (:func:`workloads.service.storage_metrics.api_registry`) derives
from a store holding bars and a generation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import promql_parser
from prometheus_client import REGISTRY, CollectorRegistry

SAMPLE_SUFFIXES: dict[str, tuple[str, ...]] = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
    "info": ("_info",),
    "unknown": ("",),
}
"""The sample names of a metric family of each type, as the text exposition format writes them."""


def metric_names(expr: str) -> set[str]:
    """Every metric name the query ``expr`` selects (``foo{…}``, ``foo[5m]``, ``{__name__="foo"}``)."""
    found: set[str] = set()
    _walk(promql_parser.parse(expr), found)
    return found


def grouping_labels(expr: str) -> set[str]:
    """Every label an aggregation of ``expr`` groups by (``sum by (a, b) (…)`` → ``{"a", "b"}``)."""
    found: set[str] = set()
    _walk(promql_parser.parse(expr), set(), found)
    return found


def _walk(node: Any, found: set[str], grouping: set[str] | None = None) -> None:
    if isinstance(node, promql_parser.VectorSelector):
        if node.name:
            found.add(node.name)
        found.update(m.value for m in node.matchers.matchers if m.name == "__name__")
    elif isinstance(node, promql_parser.MatrixSelector):
        _walk(node.vector_selector, found, grouping)
    elif isinstance(node, promql_parser.Call):
        for arg in node.args:
            _walk(arg, found, grouping)
    elif isinstance(node, promql_parser.AggregateExpr):
        if (
            grouping is not None
            and node.modifier is not None
            and node.modifier.type == promql_parser.AggModifierType.By
        ):
            grouping.update(node.modifier.labels)
        _walk(node.expr, found, grouping)
        if node.param is not None:
            _walk(node.param, found, grouping)
    elif isinstance(node, promql_parser.BinaryExpr):
        _walk(node.lhs, found, grouping)
        _walk(node.rhs, found, grouping)
    elif isinstance(node, (promql_parser.ParenExpr, promql_parser.UnaryExpr, promql_parser.SubqueryExpr)):
        _walk(node.expr, found, grouping)
    elif not isinstance(node, (promql_parser.NumberLiteral, promql_parser.StringLiteral)):
        raise TypeError(f"unexpected PromQL node {type(node).__name__}: {node}")


def _registry_samples(registry: CollectorRegistry) -> set[str]:
    names: set[str] = set()
    for family in registry.collect():
        names.update(sample.name for sample in family.samples)
        names.update(family.name + suffix for suffix in SAMPLE_SUFFIXES[family.type])
    return names


def exported_sample_names(directory: Path) -> frozenset[str]:
    """The sample names the workload exports: its process registry's and the API's (a DuckDB store in
    ``directory`` with one bar series and one generation, so the storage-derived gauges have samples)."""
    import workloads.metrics  # noqa: F401  (defines the process metrics on the default registry)
    from workloads.data.synthetic import generate
    from workloads.service.storage_metrics import api_registry
    from workloads.storage import open_storage

    storage = open_storage(f"duckdb:///{directory / 'metrics.duckdb'}")
    try:
        storage.put_bars("BTCUSDT", generate(50, 1))
        storage.create_run("run", {"symbol": "BTCUSDT"}, "fp")
        storage.record_generation("run", 0, {"ema_crossover": {"best": 1.0}})
        return frozenset(_registry_samples(REGISTRY) | _registry_samples(api_registry(lambda: storage)))
    finally:
        storage.close()
