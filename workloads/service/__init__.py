"""``genepool serve``: the FastAPI app (:func:`create_app`) over the stored strategies, signals, health, metrics.

:func:`create_app` is imported on first use, so the light modules of the package (the health checks of
``genepool health``) load without FastAPI."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workloads.service.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> object:
    if name == "create_app":
        from workloads.service.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
