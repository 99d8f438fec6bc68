"""``genepool evolve --database-wait``: the retry budget of the run's database writes (checkpoints, generation
records), so a PostgreSQL restart or failover shorter than it stalls the run instead of ending it."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

import workloads.storage
from workloads.cli import app
from workloads.cli.evolve import DATABASE_WAIT_SECONDS

SHORT_RUN = ["--synthetic", "1200", "--strategies", "ema_crossover", "--population", "6", "--generations", "1"]


@pytest.fixture
def budgets(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The ``retry_seconds`` of every storage the command opens (the storage itself is the real one)."""
    seen: list[Any] = []
    real = workloads.storage.open_storage

    def recording(target: Any, *, migrate: bool = True, retry_seconds: float | None = None) -> Any:
        seen.append(retry_seconds)
        return real(target, migrate=migrate, retry_seconds=retry_seconds)

    monkeypatch.setattr(workloads.storage, "open_storage", recording)
    return seen


def test_the_run_storage_retries_for_the_database_wait_given(budgets, tmp_path):
    result = CliRunner().invoke(app, ["evolve", *SHORT_RUN, "--database-wait", "45", "--runs-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert budgets == [45.0]


def test_the_run_storage_waits_two_minutes_by_default(budgets, tmp_path):
    result = CliRunner().invoke(app, ["evolve", *SHORT_RUN, "--runs-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert budgets == [DATABASE_WAIT_SECONDS] == [120.0]


def test_a_database_wait_below_one_second_is_refused(tmp_path):
    result = CliRunner().invoke(app, ["evolve", *SHORT_RUN, "--database-wait", "0", "--runs-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "--database-wait" in result.output
