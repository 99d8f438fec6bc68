"""Health of the app's dependencies: storage, cache and Ray, each ``healthy`` / ``degraded`` / ``unhealthy``.

Rules (what each failure means for the service):

- storage unreachable → **unhealthy** (nothing can be served or recorded); slower than ``slow_ms`` → degraded;
- cache (Redis) unreachable → **degraded** (runs go on uncached); no ``redis_url`` → healthy (in-process cache);
- Ray address unreachable (TCP connect to its host:port) → **degraded** (evolution can fall back to local
  threads); no ``ray_address`` → healthy (local backend).

The overall status is the worst of the checks. Error texts never contain a password from the settings.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from workloads.settings import Settings
from workloads.settings.redaction import passwords_in, register_secret, scrub_secrets

Status = Literal["healthy", "degraded", "unhealthy"]
HEALTHY: Final = "healthy"
DEGRADED: Final = "degraded"
UNHEALTHY: Final = "unhealthy"
_RANK: dict[Status, int] = {HEALTHY: 0, DEGRADED: 1, UNHEALTHY: 2}
DEFAULT_SLOW_MS = 1000.0
RAY_CLIENT_PORT = 10001
RAY_GCS_PORT = 6379


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: Status
    latency_ms: float
    error: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "latency_ms": round(self.latency_ms, 3), "error": self.error, **self.detail}


@dataclass(frozen=True)
class HealthReport:
    checks: tuple[CheckResult, ...]

    @property
    def status(self) -> Status:
        return max((c.status for c in self.checks), key=_RANK.__getitem__, default=HEALTHY)

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "checks": {c.name: c.as_dict() for c in self.checks}}

    def as_public_dict(self) -> dict[str, Any]:
        """:meth:`as_dict` for a caller without the token: each check's status and latency, a generic error."""
        return {
            "status": self.status,
            "checks": {
                c.name: {
                    "status": c.status,
                    "latency_ms": round(c.latency_ms, 3),
                    "error": None if c.error is None else f"{c.name} check failed",
                }
                for c in self.checks
            },
        }


def scrub(text: str, settings: Settings) -> str:
    """``text`` with any password or token from ``settings`` masked (every DSN form, raw and %-decoded)."""
    for url in (settings.database_url, settings.redis_url):
        for password in passwords_in(url):
            register_secret(password)
    register_secret(settings.api_token)
    return scrub_secrets(text)


def _timed(
    name: str, probe: Callable[[], dict[str, Any]], failure_status: Status, settings: Settings, slow_ms: float
) -> CheckResult:
    start = time.perf_counter()
    try:
        detail = probe()
    except Exception as exc:  # any failure of a dependency is a health result, never a crash
        latency = (time.perf_counter() - start) * 1000.0
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return CheckResult(name, failure_status, latency, scrub(f"{type(exc).__name__}: {message}", settings))
    latency = (time.perf_counter() - start) * 1000.0
    status: Status = DEGRADED if latency > slow_ms else HEALTHY
    error = f"slow: {latency:.0f} ms > {slow_ms:.0f} ms" if status == DEGRADED else None
    return CheckResult(name, status, latency, error, detail)


class UnopenedStorage:
    """Stands in for a storage that could not even be opened, so its check reports the error as unhealthy."""

    dialect = "unknown"
    url = ""
    timescale = False

    def __init__(self, error: Exception) -> None:
        self._error = error

    def ping(self) -> None:
        raise self._error

    def close(self) -> None:
        """Nothing to release."""


class AbsentStore:
    """Stands in for the embedded DuckDB store at ``path`` before its first write: opening it would create the file,
    and a health check only reads. It is healthy when that first write could create it: the nearest existing path
    above it is a writable directory."""

    dialect = "duckdb"
    timescale = False

    def __init__(self, url: str, path: Path) -> None:
        self.url = url
        self.path = path

    def ping(self) -> None:
        existing = next(p for p in self.path.parents if p.exists())
        if not existing.is_dir() or not os.access(existing, os.W_OK):
            raise PermissionError(f"cannot create {self.path}: {existing} is not a writable directory")

    def close(self) -> None:
        """Nothing to release."""


def check_storage(storage: Any, settings: Settings, slow_ms: float = DEFAULT_SLOW_MS) -> CheckResult:
    """Round trip to the database (``storage``: an open :class:`~workloads.storage.Storage`, or an
    :class:`AbsentStore`, reported with ``state: none yet``)."""

    def probe() -> dict[str, Any]:
        storage.ping()
        detail = {"backend": storage.dialect, "url": storage.url, "timescale": storage.timescale}
        return {**detail, "state": "none yet"} if isinstance(storage, AbsentStore) else detail

    return _timed("storage", probe, UNHEALTHY, settings, slow_ms)


def check_cache(cache: Any, settings: Settings, slow_ms: float = DEFAULT_SLOW_MS) -> CheckResult:
    """Round trip to Redis, or healthy for the in-process cache."""
    if not settings.redis_url or not hasattr(cache, "ping"):
        return CheckResult("cache", HEALTHY, 0.0, None, {"backend": "in-process"})

    def probe() -> dict[str, Any]:
        cache.ping()
        return {"backend": "redis", "url": cache.url}

    return _timed("cache", probe, DEGRADED, settings, slow_ms)


def ray_endpoint(address: str) -> tuple[str, int] | None:
    """``(host, port)`` of a Ray address (``ray://host:10001`` or ``host:6379``); ``None`` for ``auto``/``local``."""
    if address in ("auto", "local"):
        return None
    if "://" in address:
        parts = urlsplit(address)
        return parts.hostname or "", parts.port or RAY_CLIENT_PORT
    host, _, port = address.rpartition(":")
    if not host:
        return address, RAY_GCS_PORT
    if not port.isdigit():
        raise ValueError(f"ray_address {address!r}: expected ray://host:port or host:port")
    return host, int(port)


def check_ray(settings: Settings, timeout: float = 2.0, slow_ms: float = DEFAULT_SLOW_MS) -> CheckResult:
    """TCP reachability of ``ray_address``; healthy when none is configured (local backend)."""
    if not settings.ray_address:
        return CheckResult("ray", HEALTHY, 0.0, None, {"backend": "local"})

    def probe() -> dict[str, Any]:
        endpoint = ray_endpoint(settings.ray_address or "")
        if endpoint is not None:
            with socket.create_connection(endpoint, timeout=timeout):
                pass
        return {"backend": "ray", "address": settings.ray_address}

    return _timed("ray", probe, DEGRADED, settings, slow_ms)


def check_all(settings: Settings, storage: Any, cache: Any) -> HealthReport:
    """Every check, in the order storage, cache, ray."""
    return HealthReport((check_storage(storage, settings), check_cache(cache, settings), check_ray(settings)))
