"""Signals documents shared between API processes (workloads/service/signals.py): one process computes, another
reads the same document from the shared cache, non-finite numbers included; a damaged shared value is computed
again."""

from __future__ import annotations

import math

import pytest

from workloads.cache.base import InProcessCache
from workloads.data.synthetic import generate
from workloads.service.signals import SignalService
from workloads.storage import open_storage
from workloads.storage.records import HallOfFameRow


@pytest.fixture
def storage(tmp_path):
    with open_storage(f"duckdb://{tmp_path}/signals.duckdb") as opened:
        bars = generate(400, 21)
        opened.put_bars("BTC", bars)
        opened.create_run("r1", {"symbol": "BTC", "fee_bps": 4.0}, bars.fingerprint())
        opened.save_hall_of_fame(
            "r1",
            [
                HallOfFameRow("ema_crossover", {"fast": 5, "slow": 30}, 1.2, 0.97, {"sharpe": 1.2}, None, True),
                HallOfFameRow("ema_crossover", {"fast": 500, "slow": 900}, 1.0, 0.96, None, None, True),
            ],
        )
        yield opened


def test_a_second_process_reads_the_document_the_first_computed(storage):
    shared = InProcessCache()
    first, second = SignalService(shared), SignalService(shared)
    computed = first.current(storage, "BTC", top=5)
    read = second.current(storage, "BTC", top=5)
    assert (first.computed, second.computed) == (1, 0)
    assert read == computed
    assert [s.error is None for s in read.signals] == [True, False]
    assert read.signals[1].error == "gene 'fast': 500 is outside 2..50"


def test_a_damaged_shared_document_is_computed_again(storage):
    shared = InProcessCache()
    first = SignalService(shared)
    document = first.current(storage, "BTC", top=5)
    (key,) = shared._values
    shared.set_many({key: b'{"symbol": 3}'})
    second = SignalService(shared)
    assert second.current(storage, "BTC", top=5) == document and second.computed == 1


def test_a_non_finite_equity_survives_the_shared_cache_as_a_float(storage):
    shared = InProcessCache()
    first = SignalService(shared)
    document = first.current(storage, "BTC", top=5)
    (key,) = shared._values
    broken = document.model_copy(update={"signals": [document.signals[0].model_copy(update={"equity": math.inf})]})
    first._remember(key, broken, share=True)
    read = SignalService(shared).current(storage, "BTC", top=5)
    assert read.signals[0].equity == math.inf
