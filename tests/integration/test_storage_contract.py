"""The storage interface, held to the same behaviour on DuckDB and on a real PostgreSQL server."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from workloads.data.bars import Bars
from workloads.data.synthetic import generate
from workloads.storage import Storage, open_storage, schema
from workloads.storage.records import HallOfFameRow, StoredGeneration

pytestmark = pytest.mark.integration


@pytest.fixture(params=["duckdb", "postgresql"])
def storage(request: pytest.FixtureRequest, tmp_path) -> Iterator[Storage]:
    url = f"duckdb://{tmp_path}/state.duckdb" if request.param == "duckdb" else request.getfixturevalue("postgres").url
    with open_storage(url) as opened:
        yield opened


def entry(strategy: str, fitness: float | None, **extra: Any) -> HallOfFameRow:
    fields: dict[str, Any] = {
        "strategy": strategy,
        "params": {"fast": 5, "slow": 30},
        "fitness": fitness,
        "train_metrics": {"sharpe": fitness, "profit_factor": math.inf},
        "holdout_metrics": {"sharpe": 0.1},
        "dsr": 0.8,
    }
    return HallOfFameRow(**{**fields, **extra})


def test_bars_round_trip_exactly(storage):
    bars = generate(400, 3, funding=True)
    assert storage.put_bars("BTC-USD", bars) == 400
    stored = storage.get_bars("BTC-USD")
    for name in ("timestamp", "open", "high", "low", "close", "volume", "funding_rate"):
        np.testing.assert_array_equal(getattr(stored, name), getattr(bars, name))
    assert stored.symbol == "BTC-USD" and stored.timestamp.dtype == np.int64


def test_reimport_inserts_nothing_and_overlapping_import_inserts_only_new_bars(storage):
    bars = generate(300, 4)
    assert storage.put_bars("ETH", bars.slice(0, 200)) == 200
    assert storage.put_bars("ETH", bars.slice(0, 200)) == 0
    assert storage.put_bars("ETH", bars) == 100
    assert len(storage.get_bars("ETH")) == 300


def test_bars_stored_with_different_values_are_never_overwritten(storage):
    bars = generate(100, 5)
    storage.put_bars("SOL", bars)
    changed = Bars.from_arrays(bars.timestamp, bars.open, bars.high, bars.low, bars.close, bars.volume * 2)
    with pytest.raises(ValueError, match=r"SOL .*100 bar\(s\) already stored with different values"):
        storage.put_bars("SOL", changed)
    np.testing.assert_array_equal(storage.get_bars("SOL").volume, bars.volume)


def test_a_series_cannot_mix_bars_with_and_without_funding(storage):
    bars = generate(120, 6, funding=True)
    storage.put_bars("PERP", bars.slice(0, 60))
    plain = bars.slice(60, 120)
    plain = Bars.from_arrays(plain.timestamp, plain.open, plain.high, plain.low, plain.close, plain.volume)
    with pytest.raises(ValueError, match="must not mix"):
        storage.put_bars("PERP", plain)


def test_sub_microsecond_timestamps_are_refused_naming_the_bar(storage):
    bars = generate(10, 1)
    odd = Bars.from_arrays(bars.timestamp + 7, bars.open, bars.high, bars.low, bars.close, bars.volume)
    with pytest.raises(ValueError, match="bar 0: timestamp .* sub-microsecond"):
        storage.put_bars("X", odd)


def test_unknown_symbol_has_no_bars_and_says_how_to_import(storage):
    with pytest.raises(ValueError, match="genepool data import FILE --symbol NOPE"):
        storage.get_bars("NOPE")


def test_symbols_are_listed_with_their_spans(storage):
    storage.put_bars("B", generate(50, 1))
    storage.put_bars("A", generate(70, 2, funding=True))
    assert storage.list_symbols() == ["A", "B"]
    summary = storage.symbol_summaries()[0]
    assert (summary.bars, summary.has_funding) == (70, True)
    assert summary.first_ns == int(generate(70, 2).timestamp[0])


def test_migrate_is_idempotent_and_records_versions(storage):
    assert storage.migrate() == []
    assert storage.schema_version() == schema.MIGRATIONS[-1].version


def test_resuming_a_run_with_the_same_config_is_a_no_op_and_a_different_config_is_refused(storage):
    storage.create_run("run-1", {"symbol": "BTC", "population": 50}, "fp1")
    storage.create_run("run-1", {"population": 50, "symbol": "BTC"}, "fp1")
    with pytest.raises(ValueError, match="already exists with a different config"):
        storage.create_run("run-1", {"symbol": "BTC", "population": 60}, "fp1")
    assert storage.get_run("run-1").status == "running"


def test_generation_stats_are_replaced_when_a_generation_is_recorded_again(storage):
    storage.create_run("run-2", {}, "fp")
    storage.record_generation("run-2", 0, {"ema_crossover": {"best": 1.0}})
    storage.record_generation("run-2", 1, {"ema_crossover": {"best": -math.inf}})
    storage.record_generation("run-2", 1, {"ema_crossover": {"best": 2.0}})
    assert storage.generations("run-2") == [
        StoredGeneration(0, {"ema_crossover": {"best": 1.0}}),
        StoredGeneration(1, {"ema_crossover": {"best": 2.0}}),
    ]


def test_writes_for_an_unknown_run_are_refused(storage):
    with pytest.raises(ValueError, match="run 'ghost' does not exist"):
        storage.record_generation("ghost", 0, {})


def test_latest_checkpoint_is_loaded_and_old_ones_pruned(storage):
    storage.create_run("run-3", {}, "fp")
    assert storage.load_checkpoint("run-3") is None
    for generation in range(5):
        storage.save_checkpoint("run-3", generation, bytes([generation]) * 1000)
    assert storage.load_checkpoint("run-3") == (4, bytes([4]) * 1000)


def test_hall_of_fame_is_ranked_by_fitness_and_replaced_on_save(storage):
    storage.create_run("run-4", {"symbol": "BTC"}, "fp")
    ids = storage.save_hall_of_fame("run-4", [entry("ema_crossover", 0.5), entry("sma_trend_filter", 1.5)])
    assert ids == ["run-4.1", "run-4.2"]
    best = storage.get_strategy("run-4.1")
    assert best.seed == "sma_trend_filter" and best.symbol == "BTC" and best.rank == 1
    assert best.train_metrics["profit_factor"] == math.inf
    storage.save_hall_of_fame("run-4", [entry("ema_crossover", 0.7)])
    assert [s.id for s in storage.list_strategies()] == ["run-4.1"]


def test_strategies_filter_by_seed_and_symbol_and_limit(storage):
    storage.create_run("r-a", {"symbol": "BTC"}, "fp")
    storage.create_run("r-b", {"symbol": "ETH"}, "fp")
    storage.save_hall_of_fame("r-a", [entry("ema_crossover", f) for f in (0.1, 0.3, 0.2)])
    storage.save_hall_of_fame("r-b", [entry("sma_trend_filter", 0.9)])
    assert [s.fitness for s in storage.list_strategies(limit=2)] == [0.9, 0.3]
    assert {s.seed for s in storage.list_strategies(seed="ema_crossover")} == {"ema_crossover"}
    assert [s.id for s in storage.list_strategies(symbol="ETH")] == ["r-b.1"]
    with pytest.raises(ValueError, match="limit 0"):
        storage.list_strategies(limit=0)


def test_hall_of_fame_entries_of_the_wrong_shape_are_refused_naming_the_entry(storage):
    storage.create_run("run-5", {}, "fp")
    with pytest.raises(ValueError, match="entry 0: must be a HallOfFameRow, got dict"):
        storage.save_hall_of_fame("run-5", [{"strategy": "x", "fitness": 1.0}])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="entry 1: gate must be a tuple of reasons"):
        storage.save_hall_of_fame("run-5", [entry("x", 1.0), entry("x", 0.5, gate=["not", "a tuple"])])
    with pytest.raises(ValueError, match="entry 0: params must be a mapping"):
        storage.save_hall_of_fame("run-5", [entry("x", 1.0, params=[5, 30])])
    assert storage.list_strategies() == []


def test_finished_run_keeps_its_summary(storage):
    storage.create_run("run-6", {}, "fp")
    storage.finish_run("run-6", {"best": 1.25, "cache": {"hits": 3}})
    run = storage.get_run("run-6")
    assert run.status == "finished" and run.summary == {"best": 1.25, "cache": {"hits": 3}}
    assert run.finished_at >= run.started_at


def scenario(storage: Storage) -> list[Any]:
    """A run's whole life; returns everything a reader can see (times excluded)."""
    bars = generate(500, 11, funding=True)
    out: list[Any] = [storage.put_bars("BTC", bars), storage.put_bars("BTC", bars)]
    storage.create_run("same", {"symbol": "BTC", "seed": 7}, bars.fingerprint())
    for generation in range(3):
        storage.record_generation("same", generation, {"ema_crossover": {"best": generation / 3}})
        storage.save_checkpoint("same", generation, f"state {generation}".encode())
        storage.save_hall_of_fame("same", [entry("ema_crossover", generation + 0.5), entry("rsi_filter", 0.25)])
    storage.finish_run("same", {"best": 2.5})
    strip = lambda row: dataclasses.replace(row, created_at=None)  # noqa: E731
    out += [
        storage.get_bars("BTC").fingerprint(),
        storage.list_symbols(),
        storage.generations("same"),
        storage.load_checkpoint("same"),
        [strip(s) for s in storage.list_strategies()],
        dataclasses.replace(storage.get_run("same"), started_at=None, finished_at=None),
    ]
    return out


def test_duckdb_and_postgresql_give_the_same_answers(tmp_path, postgres):
    with open_storage(f"duckdb://{tmp_path}/same.duckdb") as duck, open_storage(postgres.url) as pg:
        assert scenario(duck) == scenario(pg)


def test_database_checkpoints_serve_the_evolutions_checkpoint_store_protocol(storage):
    from workloads.storage.checkpoints import DatabaseCheckpoints

    store = DatabaseCheckpoints(storage)
    storage.create_run("resume-me", {}, "fp")
    assert store.load_latest("resume-me") is None
    store.save("resume-me", 0, b"g0")
    store.save("resume-me", 1, b"g1")
    assert store.load_latest("resume-me") == (1, b"g1")


def test_entries_are_stored_as_given_with_details_kept_and_a_non_finite_fitness_last(storage):
    storage.create_run("summary-form", {"symbol": "BTC"}, "fp")
    summary_entry = HallOfFameRow(
        strategy="ema_crossover",
        params={"fast": 4, "slow": 40},
        fitness=0.9,
        train_metrics={"sharpe": 1.1},
        holdout_metrics=None,
        dsr=None,
        details={"generation": 3, "dsr_detail": {"trials": 120}},
    )
    undefined = dataclasses.replace(summary_entry, fitness=math.nan, details={"generation": 1})
    storage.save_hall_of_fame("summary-form", [undefined, summary_entry])
    best, last = storage.list_strategies()
    assert best.fitness == 0.9 and best.train_metrics == {"sharpe": 1.1} and best.holdout_metrics is None
    assert best.dsr is None and best.details == {"generation": 3, "dsr_detail": {"trials": 120}}
    assert last.fitness is None and last.rank == 2


def test_replace_swaps_the_whole_stored_series(storage):
    storage.put_bars("REV", generate(100, 1))
    revised = generate(60, 2)
    assert storage.put_bars("REV", revised, replace=True) == 60
    np.testing.assert_array_equal(storage.get_bars("REV").close, revised.close)


def test_last_generation_time_is_none_before_any_generation(storage):
    storage.create_run("run-3", {}, "fp")
    assert storage.last_generation_time() is None


def test_last_generation_time_is_when_the_latest_generation_of_any_run_was_recorded(storage):
    storage.create_run("run-3", {}, "fp")
    storage.create_run("run-4", {}, "fp")
    before = time.time()
    storage.record_generation("run-3", 0, {"ema_crossover": {"best": 1.0}})
    storage.record_generation("run-4", 5, {"ema_crossover": {"best": 1.0}})
    after = time.time()
    latest = storage.last_generation_time()
    assert latest is not None and before - 0.001 <= latest <= after + 0.001
    storage.record_generation("run-3", 1, {"ema_crossover": {"best": 2.0}})
    assert storage.last_generation_time() >= latest


def test_only_promoted_strategies_are_listed_when_asked(storage):
    storage.create_run("gated", {}, "fp")
    passed = entry("ema_crossover", 0.5, promoted=True, gate=())
    failed = entry("sma_trend_filter", 0.9, promoted=False, gate=("dsr 0.4 < 0.95",))
    storage.save_hall_of_fame("gated", [passed, failed])
    assert [s.seed for s in storage.list_strategies(promoted_only=True)] == ["ema_crossover"]
    assert [(s.promoted, s.gate) for s in storage.list_strategies()] == [
        (False, ("dsr 0.4 < 0.95",)),
        (True, ()),
    ]


def test_an_entry_with_failed_rules_is_never_stored_as_promoted(storage):
    storage.create_run("contradiction", {}, "fp")
    storage.save_hall_of_fame("contradiction", [entry("ema_crossover", 0.5, promoted=True, gate=("x",))])
    assert storage.list_strategies(promoted_only=True) == []


def test_renaming_a_symbol_moves_every_bar_and_its_runs_and_strategies(storage):
    bars = generate(500, 6, funding=True)
    storage.put_bars("BTCUSDT", bars)
    storage.put_bars("ETHUSDT", generate(50, 7))
    storage.create_run("before-names", {"symbol": "BTCUSDT"}, "fp")
    storage.save_hall_of_fame("before-names", [entry("ema_crossover", 1.0)])

    assert storage.rename_symbol("BTCUSDT", "binance:BTCUSDT-PERP") == 500

    renamed = storage.get_bars("binance:BTCUSDT-PERP")
    for name in ("timestamp", "open", "high", "low", "close", "volume", "funding_rate"):
        np.testing.assert_array_equal(getattr(renamed, name), getattr(bars, name))
    assert storage.list_symbols() == ["ETHUSDT", "binance:BTCUSDT-PERP"]
    assert [s.symbol for s in storage.list_strategies(limit=10)] == ["binance:BTCUSDT-PERP"]
    assert storage.get_run("before-names").symbol == "binance:BTCUSDT-PERP"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("SOLUSDT", "binance:SOLUSDT", "'SOLUSDT': no bars are stored under it"),
        ("BTCUSDT", "ETHUSDT", "'ETHUSDT': 50 bar\\(s\\) are already stored under it"),
    ],
)
def test_renaming_refuses_an_unknown_symbol_or_a_taken_name_and_changes_nothing(storage, old, new, message):
    storage.put_bars("BTCUSDT", generate(80, 6))
    storage.put_bars("ETHUSDT", generate(50, 7))
    with pytest.raises(ValueError, match=message):
        storage.rename_symbol(old, new)
    assert [(s.symbol, s.bars) for s in storage.symbol_summaries()] == [("BTCUSDT", 80), ("ETHUSDT", 50)]


def promoted(strategy: str, fitness: float, **params: Any) -> HallOfFameRow:
    return entry(strategy, fitness, params=params or {"fast": 5, "slow": 30}, promoted=True, gate=())


COSTS = {"fee_bps": 10.0, "slippage_bps": 5.0, "long_only": False, "rebalance_band": 0.0, "bars_per_year": 8760.0}


def test_a_strategy_promoted_by_two_runs_on_the_same_data_and_costs_is_listed_once_as_first_stored(storage):
    for run_id in ("first", "again"):
        storage.create_run(run_id, {**COSTS, "random_seed": 1 if run_id == "first" else 2}, "fp")
        storage.save_hall_of_fame(run_id, [promoted("ema_crossover", 0.5), promoted("ema_crossover", 0.4, fast=6)])
    listed = storage.list_strategies(promoted_only=True)
    assert [s.id for s in listed] == ["first.1", "first.2"]
    assert len(storage.list_strategies()) == 4


@pytest.mark.parametrize(
    ("config", "fingerprint"),
    [({**COSTS, "fee_bps": 20.0}, "fp"), (COSTS, "other-data"), ({**COSTS, "long_only": True}, "fp")],
)
def test_the_same_genes_on_other_data_or_costs_are_another_strategy(storage, config, fingerprint):
    storage.create_run("base", COSTS, "fp")
    storage.create_run("other", config, fingerprint)
    storage.save_hall_of_fame("base", [promoted("ema_crossover", 0.5)])
    storage.save_hall_of_fame("other", [promoted("ema_crossover", 0.5)])
    assert [s.id for s in storage.list_strategies(promoted_only=True)] == ["base.1", "other.1"]


def test_other_genes_or_another_seed_are_not_duplicates(storage):
    storage.create_run("one", COSTS, "fp")
    storage.create_run("two", COSTS, "fp")
    storage.save_hall_of_fame("one", [promoted("ema_crossover", 0.5)])
    storage.save_hall_of_fame("two", [promoted("ema_crossover", 0.45, fast=6, slow=30), promoted("rsi_filter", 0.4)])
    assert [s.id for s in storage.list_strategies(promoted_only=True)] == ["one.1", "two.1", "two.2"]
