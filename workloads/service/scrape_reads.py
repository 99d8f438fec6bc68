"""One storage read made while Prometheus scrapes ``/metrics``: a failure exports nothing, never fails the scrape."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from workloads.metrics import STORAGE_ERRORS
from workloads.storage import StorageError

T = TypeVar("T")


def read_for_scrape(log: logging.Logger, operation: str, what: str, read: Callable[[], T]) -> T | None:
    """``read()``, or ``None`` after one warning on ``log`` naming ``what`` when it fails. A :class:`StorageError` is
    already counted in ``genepool_storage_errors_total`` by the storage layer; any other failure is counted here
    under ``operation``."""
    try:
        return read()
    except StorageError as exc:
        log.warning("metrics: could not read %s: %s", what, exc)
    except Exception as exc:  # noqa: BLE001 - a scrape must never fail on storage trouble
        STORAGE_ERRORS.labels(operation).inc()
        log.warning("metrics: could not read %s: %s", what, exc)
    return None
