"""The scrape-time storage read behind ``/metrics`` (:mod:`workloads.service.storage_metrics`), with a fake storage:
the short retry budget it asks for and what a failing read exports."""

from __future__ import annotations

from workloads.metrics import STORAGE_ERRORS
from workloads.service.storage_metrics import SCRAPE_RETRY_SECONDS, LastGenerationCollector
from workloads.storage import StorageError, open_storage


class FakeStorage:
    """Answers ``last_generation_time`` with ``answer`` (raised when it is an exception), recording each budget."""

    def __init__(self, answer: float | None | Exception) -> None:
        self.answer = answer
        self.budgets: list[float | None] = []

    def last_generation_time(self, *, retry_seconds: float | None = None) -> float | None:
        self.budgets.append(retry_seconds)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def scrape(storage: FakeStorage) -> list:
    return list(LastGenerationCollector(lambda: storage).collect())


def test_the_scrape_time_read_asks_storage_for_the_short_retry_budget():
    storage = FakeStorage(1_700_000_000.0)
    scrape(storage)
    assert storage.budgets == [SCRAPE_RETRY_SECONDS]


def test_the_short_retry_budget_is_a_few_seconds_inside_the_default_10_s_scrape_timeout():
    assert 0 < SCRAPE_RETRY_SECONDS <= 10.0 / 3


def test_a_read_exports_the_stored_time():
    [family] = scrape(FakeStorage(1_700_000_000.0))
    assert [sample.value for sample in family.samples] == [1_700_000_000.0]


def test_a_storage_error_exports_nothing():
    assert scrape(FakeStorage(StorageError("postgresql://x: last_generation_time failed after retrying for 3 s"))) == []


def test_an_unexpected_error_exports_nothing_and_is_counted():
    before = STORAGE_ERRORS.labels("last_generation_time")._value.get()
    assert scrape(FakeStorage(RuntimeError("boom"))) == []
    assert STORAGE_ERRORS.labels("last_generation_time")._value.get() == before + 1


def test_duckdb_accepts_a_retry_budget_and_reads_the_same(tmp_path):
    with open_storage(f"duckdb://{tmp_path}/state.duckdb") as storage:
        storage.create_run("r1", {}, "fp")
        storage.record_generation("r1", 0, {"ema_crossover": {"best": 1.0}})
        assert storage.last_generation_time(retry_seconds=SCRAPE_RETRY_SECONDS) == storage.last_generation_time()


def test_duckdb_reads_no_generation_time_before_migration(tmp_path):
    with open_storage(f"duckdb://{tmp_path}/state.duckdb", migrate=False) as storage:
        assert storage.last_generation_time(retry_seconds=SCRAPE_RETRY_SECONDS) is None
