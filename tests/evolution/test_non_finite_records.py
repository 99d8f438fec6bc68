"""A scored record keeps a statistic that is not finite as the float it is: the promotion gate refuses it as it
refuses a missing one, storage keeps it, and it becomes ``null`` only where the record leaves for JSON
(docs/architecture.md#numbers-that-are-not-finite)."""

from __future__ import annotations

import json
import math

from workloads.evolution.config import EvolutionConfig
from workloads.evolution.recorder import hall_of_fame_row
from workloads.evolution.records import DsrDetail, Robustness, ScoredEntry, SeedBest
from workloads.evolution.summary import gate_reasons
from workloads.service.models import Strategy
from workloads.storage import open_storage

CONFIG = EvolutionConfig(min_trades=3, promote_dsr=0.95, promote_max_drawdown=0.3)
GOOD_HOLDOUT = {"sharpe": 2.0, "trades": 5.0, "max_drawdown": 0.1}


def _entry() -> ScoredEntry:
    """An entry whose DSR is undefined, with an infinite profit factor and a flat (NaN Sharpe) holdout."""
    detail = DsrDetail(math.nan, 0.0, 3.0, 100, 10, 5.0, math.nan, 0.1, 0.1, 0.01)
    robust = Robustness(0, None, None, None, False, (1.5, math.nan), None)
    train = {"sharpe": 1.2, "profit_factor": math.inf}
    holdout = {"sharpe": math.nan, "trades": 0.0, "max_drawdown": 0.0}
    gate = gate_reasons(math.nan, holdout, CONFIG)
    return ScoredEntry("s", {"n": 3}, 1.0, 0, train, holdout, math.nan, -math.inf, 5.0, not gate, gate, detail, robust)


def test_a_scored_entry_keeps_non_finite_statistics_as_floats():
    entry = _entry()
    assert math.isnan(entry.dsr) and entry.dsr_conservative == -math.inf
    assert entry.train["profit_factor"] == math.inf and math.isnan(entry.holdout["sharpe"])
    assert math.isnan(entry.dsr_detail.sharpe_per_bar) and math.isnan(entry.robustness.segment_sharpe[1])


def test_a_scored_entry_writes_non_finite_statistics_as_null_in_json():
    entry_json = _entry().as_json()
    assert entry_json["dsr"] is None and entry_json["dsr_conservative"] is None
    assert entry_json["train"] == {"sharpe": 1.2, "profit_factor": None}
    assert entry_json["robustness"]["segment_sharpe"] == [1.5, None]
    assert json.dumps(entry_json, allow_nan=False)


def test_a_seed_best_keeps_non_finite_statistics_and_writes_them_as_null():
    best = SeedBest("s", {}, math.inf, math.nan, 0, False, math.nan, math.nan, False, ("dsr nan < 0.95",))
    assert best.fitness == math.inf and math.isnan(best.holdout_sharpe or 0.0)
    document = best.as_json()
    assert [document[k] for k in ("fitness", "sharpe", "dsr", "holdout_sharpe")] == [None] * 4


def test_the_gate_refuses_a_nan_dsr_with_its_value():
    assert gate_reasons(math.nan, GOOD_HOLDOUT, CONFIG) == ("dsr nan < 0.95",)


def test_the_gate_refuses_a_non_finite_holdout_statistic_as_a_missing_one():
    for value in (math.nan, math.inf, -math.inf):
        for name in GOOD_HOLDOUT:
            assert gate_reasons(0.99, {**GOOD_HOLDOUT, name: value}, CONFIG) == gate_reasons(
                0.99, {**GOOD_HOLDOUT, name: None}, CONFIG
            )


def test_the_gate_names_a_non_finite_holdout_statistic_not_available():
    holdout = {"sharpe": math.nan, "trades": math.nan, "max_drawdown": math.inf}
    assert gate_reasons(0.99, holdout, CONFIG) == (
        "holdout sharpe n/a <= 0",
        "holdout trades n/a < 3",
        "holdout drawdown n/a > 30%",
    )


def test_a_stored_entry_keeps_non_finite_statistics_and_the_api_answers_null(tmp_path):
    with open_storage(f"duckdb://{tmp_path}/state.duckdb") as storage:
        storage.create_run("r", {}, "fingerprint")
        (strategy_id,) = storage.save_hall_of_fame("r", [hall_of_fame_row(_entry())])
        stored = storage.get_strategy(strategy_id)
    assert stored is not None and stored.dsr is None
    assert stored.train_metrics is not None and stored.train_metrics["profit_factor"] == math.inf
    assert math.isnan(stored.details["dsr_detail"]["sharpe_per_bar"])
    answer = json.loads(Strategy.model_validate(stored, from_attributes=True).model_dump_json())
    assert answer["dsr"] is None and answer["train_metrics"]["profit_factor"] is None
    assert answer["details"]["dsr_detail"]["sharpe_per_bar"] is None
