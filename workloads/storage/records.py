"""The typed records storage takes and returns: frozen dataclasses, one per kind of row.

Writes take :class:`HallOfFameRow` (one hall-of-fame entry to store) and JSON documents typed as
:data:`JsonObject`; reads return :class:`StoredRun`, :class:`StoredGeneration` and :class:`StoredStrategy`. Nothing
here is a ``dict[str, Any]``: a document column (config, stats, summary, details) is typed as the JSON it holds.

Numbers: a metric or document value is a Python ``float`` and may be non-finite (``nan``, ``±inf``): the store keeps
it losslessly, and only the JSON edge turns it into ``null`` (:mod:`workloads.jsonable`). ``None`` means absent: no
holdout, a strategy stored before the promotion gate existed, a fitness or DSR with no meaningful order (the
``fitness`` and ``dsr`` columns order the listing, so a non-finite one is stored as ``None``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeAlias

from workloads.jsonable import JsonObject

ParamValue: TypeAlias = float | int | bool | str
"""One gene's value (integers for integer genes, floats for real ones)."""
Params: TypeAlias = Mapping[str, ParamValue]
"""Gene name → value."""
Metrics: TypeAlias = Mapping[str, float | None]
"""Metric name → value (annualised Sharpe, drawdown as a fraction, trades as a count; see docs/simulation.md)."""


@dataclass(frozen=True)
class HallOfFameRow:
    """One hall-of-fame entry to store (:meth:`~workloads.storage.base.Storage.save_hall_of_fame`).

    ``strategy`` is the seed's name; ``fitness`` and ``dsr`` are ``None`` when not finite (they order the listing);
    ``holdout_metrics`` is ``None`` for a run without a holdout; ``promoted`` is never stored true with a non-empty
    ``gate`` (the promotion rules it failed); ``details`` holds the rest of the entry (generation, the conservative
    DSR and its inputs, robustness) as one JSON object."""

    strategy: str
    params: Params
    fitness: float | None
    dsr: float | None
    train_metrics: Metrics | None
    holdout_metrics: Metrics | None
    promoted: bool = False
    gate: tuple[str, ...] = ()
    details: JsonObject = field(default_factory=dict)


@dataclass(frozen=True)
class StoredStrategy:
    """A stored hall-of-fame entry as the API and the CLI show it: ``id`` is ``"<run_id>.<rank>"`` (rank 1 = best
    fitness of its run), ``symbol`` the run's symbol (``None`` for a run on bars of no symbol), ``gate`` ``None`` for
    a strategy stored before the promotion gate existed (never gated, not promoted), ``created_at`` ISO-8601 UTC."""

    id: str
    run_id: str
    rank: int
    seed: str
    symbol: str | None
    params: Params
    fitness: float | None
    dsr: float | None
    train_metrics: Metrics | None
    holdout_metrics: Metrics | None
    details: JsonObject
    promoted: bool
    gate: tuple[str, ...] | None
    created_at: str | None


@dataclass(frozen=True)
class StoredRun:
    """A run's row: its ``config`` as recorded at the start (with ``symbol`` when it had one; read it typed with
    :meth:`workloads.evolution.config.EvolutionConfig.from_stored`), ``status`` (``running`` or ``finished``), ISO-8601
    UTC times and, once finished, its ``summary`` (the run summary without the hall of fame and the generations)."""

    run_id: str
    symbol: str | None
    data_fingerprint: str
    config: JsonObject
    status: str
    started_at: str | None
    finished_at: str | None
    summary: JsonObject | None


@dataclass(frozen=True)
class StoredGeneration:
    """One generation's stats as recorded (the evolution's ``GenerationStats`` in its JSON form)."""

    generation: int
    stats: JsonObject
