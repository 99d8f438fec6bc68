"""Current signals: the target exposure the top stored (by default: promoted) strategies of a symbol hold after its
latest stored bar.

Each strategy is replayed over every stored bar of the symbol with ``workloads.seeds.registry.get_seed(seed).run``
(stateful rules — crossings, breakouts held until an exit — need the whole history, not a tail). The exposure
reported is the target decided at the close of the last bar, to be executed at the next bar's open
(docs/simulation.md#execution). It depends on the rule, ``long_only`` and ruin only; the costs are those of the
run's config (:meth:`EvolutionConfig.from_stored <workloads.evolution.config.EvolutionConfig.from_stored>`: the keys
it holds over the defaults of the one cost model, :func:`workloads.costs.sim_config`), with ``bars_per_year``
inferred from the stored bars' timestamps unless the run set it.

**Caching** (:class:`SignalService`): a signals document is a function of the strategy set (ids, parameters,
fitness, creation times — a new run or promotion changes it) and the symbol's stored bars. It is computed once per
key ``(symbol, top, seed, strategy set, open time of the latest stored bar)`` and kept in a bounded in-process LRU
in front of the shared cache (Redis when ``redis_url`` is configured, under ``signals:<sha256>``, with the cache's
TTL). The next bar changes the key, so a new bar invalidates every document of its symbol. Known limit: a
``data import --replace`` revision that keeps the latest bar unchanged is served from the cache until its entries
are evicted (in-process: :data:`LOCAL_ENTRIES` documents; Redis: the TTL); restart the API after such a revision.
Concurrent misses of one key compute it once.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from pydantic import ValidationError

from workloads.cache.base import FitnessCache
from workloads.data.bars import Bars
from workloads.evolution.config import EvolutionConfig
from workloads.jsonable import JsonObject
from workloads.service.models import Signal, Signals
from workloads.storage.base import Storage, dump_json, iso_from_us, load_json
from workloads.storage.records import StoredStrategy

LOCAL_ENTRIES = 256
"""Signals documents kept in the process (least recently used evicted first)."""


def strategy_signal(strategy: StoredStrategy, bars: Bars, run_config: JsonObject | None) -> Signal:
    """One strategy's current target exposure on ``bars`` (or the reason it cannot be computed: an unknown seed,
    parameters outside its genes, too few bars, a stored run config that breaks a rule)."""
    from workloads.seeds.registry import get_seed

    try:
        sim = EvolutionConfig.from_stored(run_config, source=f"config of run {strategy.run_id}").sim_config(
            bars.timestamp
        )
        seed = get_seed(strategy.seed)
        params_row = seed.genes.row(dict(strategy.params))
        if len(bars) < seed.min_bars_for(params_row):
            raise ValueError(
                f"{len(bars)} stored bars, {seed.name} with these parameters needs {seed.min_bars_for(params_row)}"
            )
        result = seed.run(bars, params_row, sim)
    except (KeyError, ValueError) as exc:
        return _signal(strategy, target_exposure=None, equity=None, error=str(exc).strip("'\""))
    return _signal(strategy, target_exposure=float(result.exposure[-1]), equity=float(result.equity[-1]), error=None)


def _signal(
    strategy: StoredStrategy, *, target_exposure: float | None, equity: float | None, error: str | None
) -> Signal:
    return Signal(
        strategy_id=strategy.id,
        seed=strategy.seed,
        params=dict(strategy.params),
        fitness=strategy.fitness,
        promoted=strategy.promoted,
        target_exposure=target_exposure,
        equity=equity,
        error=error,
    )


def compute_signals(storage: Storage, symbol: str, strategies: list[StoredStrategy]) -> Signals:
    """The signals document of ``strategies`` on every stored bar of ``symbol`` (no cache)."""
    bars = storage.get_bars(symbol)
    configs: dict[str, JsonObject | None] = {}
    signals = []
    for strategy in strategies:
        if strategy.run_id not in configs:
            run = storage.get_run(strategy.run_id)
            configs[strategy.run_id] = run.config if run else None
        signals.append(strategy_signal(strategy, bars, configs[strategy.run_id]))
    return Signals(
        symbol=symbol,
        as_of=iso_from_us(int(bars.timestamp[-1]) // 1000),
        bars=len(bars),
        executes_at="open of the bar after as_of",
        signals=signals,
    )


def signals_key(symbol: str, top: int, seed: str | None, strategies: list[StoredStrategy], last_bar_ns: int) -> str:
    """The cache key of a signals document (see the module doc)."""
    identity = [(s.id, dict(s.params), s.fitness, s.created_at) for s in strategies]
    digest = hashlib.sha256(dump_json([symbol, top, seed, identity, last_bar_ns]).encode()).hexdigest()
    return f"signals:{digest}"


class SignalService:
    """Signals documents, cached per key in the process and in ``shared`` (see the module doc)."""

    def __init__(self, shared: FitnessCache | None = None, local_entries: int = LOCAL_ENTRIES) -> None:
        self._shared = shared
        self._local: OrderedDict[str, Signals] = OrderedDict()
        self._local_entries = local_entries
        self._lock = threading.Lock()
        self._computing: dict[str, threading.Lock] = {}
        self.computed = 0
        """Documents computed (cache misses everywhere) since start."""

    def current(
        self, storage: Storage, symbol: str, top: int, seed: str | None = None, promoted_only: bool = True
    ) -> Signals:
        """The signals document of ``GET /v1/signals/{symbol}`` (of promoted strategies only unless
        ``promoted_only`` is false). Raises ``LookupError`` when there is nothing to use."""
        last_bar = storage.last_bar_time(symbol)
        if last_bar is None:
            raise LookupError(f"no bars stored for symbol {symbol!r}")
        strategies = storage.list_strategies(seed=seed, limit=top, symbol=symbol, promoted_only=promoted_only)
        if not strategies:
            raise LookupError(
                f"no stored {'promoted ' if promoted_only else ''}strategies evolved on symbol {symbol!r}"
                + (f" for seed {seed!r}" if seed else "")
                + (" (all=true lists those that were not promoted)" if promoted_only else "")
            )
        key = signals_key(symbol, top, seed, strategies, last_bar)
        document = self._cached(key)
        if document is not None:
            return document
        with self._lock:
            computing = self._computing.setdefault(key, threading.Lock())
        with computing:
            document = self._cached(key)
            if document is None:
                document = compute_signals(storage, symbol, strategies)
                self.computed += 1
                self._remember(key, document, share=True)
        with self._lock:
            self._computing.pop(key, None)
        return document

    def _cached(self, key: str) -> Signals | None:
        with self._lock:
            if key in self._local:
                self._local.move_to_end(key)
                return self._local[key]
        if self._shared is None:
            return None
        value = self._shared.get_many([key])[0]
        if value is None:
            return None
        try:
            document = Signals.model_validate(load_json(value))
        except (ValueError, ValidationError):
            return None  # not a signals document (damaged, or of another version): computed again
        self._remember(key, document, share=False)
        return document

    def _remember(self, key: str, document: Signals, *, share: bool) -> None:
        with self._lock:
            self._local[key] = document
            self._local.move_to_end(key)
            while len(self._local) > self._local_entries:
                self._local.popitem(last=False)
        if share and self._shared is not None:
            self._shared.set_many({key: dump_json(document.model_dump()).encode()})
