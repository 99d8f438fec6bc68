"""Suite-wide rules of a test session (wired up in ``tests/conftest.py``).

- **Isolation**: the tests start their own Redis, PostgreSQL and Ray on free ports and point the app at them
  explicitly. Settings in the developer's environment that would point the app, Ray or libpq somewhere else are
  removed for the whole run (subprocesses included): :func:`foreign_settings`.
- **Skips**: every run ends with how many tests were skipped and why, grouped by reason (:func:`skip_summary`);
  after ``make test``, which installs every prerequisite, the number is 0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

APP_PREFIX = "GENEPOOL_"
"""The app's settings (``workloads.settings``, ``workloads.market.settings``): stack outputs, home, tokens."""
HARNESS_SETTINGS = frozenset({"GENEPOOL_IMAGE"})
"""Inputs of the test harness itself, kept: the image ``make image-check`` built for ``tests/image``."""
SERVICE_SETTINGS = frozenset({"RAY_ADDRESS"})
"""Read by the services' own clients: ``RAY_ADDRESS`` makes ``ray.init`` join that cluster."""
LIBPQ_PREFIX = "PG"
"""libpq's defaults (``PGSSLMODE``, ``PGOPTIONS``, ``PGSERVICE``, ``PGPASSFILE``, ...), applied to every
PostgreSQL connection wherever a URL leaves them out."""


def foreign_settings(environ: Mapping[str, str]) -> list[str]:
    """The names in ``environ`` that would point the code under test at services the tests did not start."""
    return sorted(
        name
        for name in environ
        if (name.startswith(APP_PREFIX) and name not in HARNESS_SETTINGS)
        or name in SERVICE_SETTINGS
        or name.startswith(LIBPQ_PREFIX)
    )


def skip_reason(report: Any) -> str:
    """The reason of one skipped report (a test, or a whole module skipped at collection)."""
    longrepr = report.longrepr
    reason = str(longrepr[2]) if isinstance(longrepr, tuple) else str(longrepr)
    reason = reason.removeprefix("Skipped: ")
    if getattr(report, "when", None) == "collect":
        return f"{reason} (the whole of {report.nodeid})"
    return reason


def skip_summary(reports: Iterable[Any]) -> list[str]:
    """``skipped: N`` then one ``<count> x <reason>`` line per reason, most frequent first, then by reason."""
    reasons = Counter(skip_reason(report) for report in reports)
    lines = [f"skipped: {sum(reasons.values())}"]
    lines += [f"  {count} x {reason}" for reason, count in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))]
    return lines
