"""Current signals: the target exposure the top stored (by default: promoted) strategies of a symbol hold after its
latest stored bar.

Each strategy is replayed over every stored bar of the symbol with ``workloads.seeds.registry.get_seed(seed).run``
(stateful rules — crossings, breakouts held until an exit — need the whole history, not a tail). The exposure
reported is the target decided at the close of the last bar, to be executed at the next bar's open
(docs/simulation.md#execution). It depends on the rule, ``long_only`` and ruin only; the costs come from the run's
config when present (the evolution's ``fee_bps``, ``slippage_bps``, ``long_only``, ``rebalance_band``,
``bars_per_year``) and default to zero costs with ``bars_per_year`` inferred from the timestamps.
"""

from __future__ import annotations

from typing import Any

from workloads.data.bars import Bars
from workloads.data.calendar import infer_bars_per_year
from workloads.kernels.simulate import SimConfig
from workloads.storage.base import Storage, iso_from_us

BPS = 1e-4


def sim_config(config: dict[str, Any] | None, bars: Bars) -> SimConfig:
    """The simulation settings of a run's config (see the module doc for the keys and defaults)."""
    config = config or {}
    return SimConfig(
        fee_rate=float(config.get("fee_bps") or 0.0) * BPS,
        slippage=float(config.get("slippage_bps") or 0.0) * BPS,
        long_only=bool(config.get("long_only", False)),
        rebalance_band=float(config.get("rebalance_band") or 0.0),
        bars_per_year=float(config.get("bars_per_year") or infer_bars_per_year(bars.timestamp)),
    )


def strategy_signal(strategy: dict[str, Any], bars: Bars, run_config: dict[str, Any] | None) -> dict[str, Any]:
    """One strategy's current target exposure on ``bars`` (or the reason it cannot be computed)."""
    from workloads.seeds.registry import get_seed

    out: dict[str, Any] = {
        "strategy_id": strategy["id"],
        "seed": strategy["seed"],
        "params": strategy["params"],
        "fitness": strategy["fitness"],
        "promoted": strategy["promoted"],
    }
    try:
        seed = get_seed(strategy["seed"])
        params_row = seed.genes.row(strategy["params"])
        if len(bars) < seed.min_bars_for(params_row):
            raise ValueError(
                f"{len(bars)} stored bars, {seed.name} with these parameters needs {seed.min_bars_for(params_row)}"
            )
        result = seed.run(bars, params_row, sim_config(run_config, bars))
    except (KeyError, ValueError) as exc:
        out.update(target_exposure=None, error=str(exc).strip("'\""))
        return out
    out.update(target_exposure=float(result.exposure[-1]), equity=float(result.equity[-1]), error=None)
    return out


def current_signals(
    storage: Storage, symbol: str, top: int, seed: str | None = None, promoted_only: bool = True
) -> dict[str, Any]:
    """The signals document of ``GET /v1/signals/{symbol}`` (of promoted strategies only unless ``promoted_only``
    is false). Raises ``LookupError`` when there is nothing to use."""
    strategies = storage.list_strategies(seed=seed, limit=top, symbol=symbol, promoted_only=promoted_only)
    if symbol not in storage.list_symbols():
        raise LookupError(f"no bars stored for symbol {symbol!r}")
    if not strategies:
        raise LookupError(
            f"no stored {'promoted ' if promoted_only else ''}strategies evolved on symbol {symbol!r}"
            + (f" for seed {seed!r}" if seed else "")
            + (" (all=true lists those that were not promoted)" if promoted_only else "")
        )
    bars = storage.get_bars(symbol)
    configs: dict[str, Any] = {}
    signals = []
    for strategy in strategies:
        if strategy["run_id"] not in configs:
            run = storage.get_run(strategy["run_id"])
            configs[strategy["run_id"]] = run["config"] if run else None
        signals.append(strategy_signal(strategy, bars, configs[strategy["run_id"]]))
    return {
        "symbol": symbol,
        "as_of": iso_from_us(int(bars.timestamp[-1]) // 1000),
        "bars": len(bars),
        "executes_at": "open of the bar after as_of",
        "signals": signals,
    }
