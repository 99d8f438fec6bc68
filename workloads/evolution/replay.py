"""Replay a hall-of-fame entry of a finished run exactly as the evolution scored it (``genepool backtest --run``).

Exactly means the same inputs as :func:`workloads.evolution.summary.replay`: the run's data (re-read from its file
or from the database, cut to the run's ``bars`` and checked against the run's fingerprint, so a changed file is
refused rather than silently replayed), its train/holdout cut, its costs and ``bars_per_year`` (through the one cost
model, :func:`workloads.costs.sim_config`) and the entry's parameters. The training span is replayed on bars
``0 .. train_bars - 1``; the holdout on every bar with trading from ``train_bars`` on (warm-up on the training
bars), so the metrics equal the run's stored ``train`` / ``holdout`` metrics.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workloads.data.bars import Bars
from workloads.seeds.base import BacktestResult

SPANS = ("holdout", "train")
DATABASE_SOURCE = " ohlcv/"
"""What the ``source`` of bars read from the database contains (``<url> ohlcv/<symbol>``)."""


@dataclass(frozen=True)
class ReplayedEntry:
    """One replayed entry: which, on what, with which costs, and the result (``metrics`` as JSON-safe floats)."""

    run_id: str
    rank: int
    span: str
    strategy: str
    params: dict[str, Any]
    bars: int
    fee_bps: float
    slippage_bps: float
    metrics: dict[str, float | None]
    stored: dict[str, float | None] | None
    result: BacktestResult

    def as_json(self) -> dict[str, Any]:
        """The ``backtest --run --json`` document: the replayed metrics beside the run's stored ones."""
        return {
            "run_id": self.run_id,
            "rank": self.rank,
            "span": self.span,
            "strategy": self.strategy,
            "params": self.params,
            "bars": self.bars,
            "fee_bps": self.fee_bps,
            "slippage_bps": self.slippage_bps,
            "metrics": self.metrics,
            "stored_metrics": self.stored,
        }


def run_bars(document: dict[str, Any], data: Path | None) -> Bars:
    """The bars ``document``'s run evolved on: ``data`` when given, else its source file or stored symbol; cut to
    the run's bar count and checked against its fingerprint (``ValueError`` naming the file and the rule)."""
    from workloads.data.loaders import load_bars

    info = document["data"]
    source = str(info.get("source") or "")
    if data is not None:
        bars = load_bars(data)
        where = str(data)
    elif source and DATABASE_SOURCE not in source and Path(source).is_file():
        bars = load_bars(Path(source))
        where = source
    elif DATABASE_SOURCE in source and info.get("symbol"):
        bars = _stored_bars(info["symbol"])
        where = f"stored symbol {info['symbol']}"
    else:
        raise ValueError(
            f"run {document['run_id']}: its data {source or '(unnamed)'!r} cannot be read again; give the same "
            "bars with --data FILE"
        )
    n_bars = int(info["bars"])
    if len(bars) < n_bars:
        raise ValueError(f"{where}: {len(bars)} bars, the run {document['run_id']} evolved on {n_bars}")
    bars = bars.slice(0, n_bars)
    if bars.fingerprint() != info["fingerprint"]:
        raise ValueError(
            f"{where}: not the data run {document['run_id']} evolved on (fingerprint {bars.fingerprint()} of its "
            f"first {n_bars} bars != {info['fingerprint']})"
        )
    return bars


def _stored_bars(symbol: str) -> Bars:
    from workloads.settings import load_settings
    from workloads.storage import open_storage

    settings = load_settings()
    missing = settings.missing_state()
    if missing is not None:
        raise ValueError(missing)
    with open_storage(settings) as storage:
        return storage.get_bars(symbol)


def replay_entry(document: dict[str, Any], rank: int, span: str, data: Path | None = None) -> ReplayedEntry:
    """Entry ``rank`` (1 = best) of the run ``document`` (its ``run.json``) replayed on ``span``."""
    from workloads.costs import sim_config
    from workloads.evolution.sweep import metrics_dict
    from workloads.seeds.registry import get_seed

    if span not in SPANS:
        raise ValueError(f"--span {span!r}: must be one of {', '.join(SPANS)}")
    entries = document.get("hall_of_fame") or []
    if not 1 <= rank <= len(entries):
        raise ValueError(f"--rank {rank}: run {document['run_id']} has {len(entries)} hall-of-fame entries")
    entry = entries[rank - 1]
    info, config = document["data"], document["config"]
    n_train = int(info["train_bars"])
    if span == "holdout" and int(info["holdout_bars"]) == 0:
        raise ValueError(f"--span holdout: run {document['run_id']} kept no holdout")
    bars = run_bars(document, data)
    seed = get_seed(entry["strategy"])
    row = seed.genes.row(entry["params"])
    sim = sim_config(
        info["bars_per_year"],
        fee_bps=config["fee_bps"],
        slippage_bps=config["slippage_bps"],
        long_only=config["long_only"],
        rebalance_band=config["rebalance_band"],
    )
    on_train = span == "train"
    result = seed.run(bars.slice(0, n_train) if on_train else bars, row, sim, 0 if on_train else n_train)
    return ReplayedEntry(
        run_id=document["run_id"],
        rank=rank,
        span=span,
        strategy=entry["strategy"],
        params=dict(entry["params"]),
        bars=len(result.equity),
        fee_bps=float(config["fee_bps"]),
        slippage_bps=float(config["slippage_bps"]),
        metrics=metrics_dict(result.metric_row()),
        stored=entry.get(span),
        result=result,
    )
