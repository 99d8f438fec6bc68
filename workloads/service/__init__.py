"""``genepool serve``: the FastAPI app (:func:`create_app`) over the stored strategies, signals, health, metrics."""

from workloads.service.app import create_app

__all__ = ["create_app"]
