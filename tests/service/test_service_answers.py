"""The HTTP API's answers, byte for byte where they are deterministic, against recorded fixtures: the OpenAPI
document (``fixtures/openapi.json``) and the status, headers and body of every route's every answer on a small
fixed state (``fixtures/api_answers.json``). A change to the service's layout must leave both unchanged; a change
meant to alter an answer re-records them with ``python -m tests.service.test_service_answers`` and shows the diff in
review.

What varies between runs is normalised before the comparison, after checking its form: a strategy's ``created_at``
(ISO-8601 UTC, ``Z``), a check's ``latency_ms`` (a number ≥ 0), the temporary directory in a readiness ``url``,
and ``content-length`` (checked against the body instead)."""

from __future__ import annotations

import json
import math
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CONTENT_TYPE_LATEST

from workloads.data.synthetic import generate
from workloads.service import create_app
from workloads.service.fast_path import ResponseCache
from workloads.settings import Settings
from workloads.storage import StorageError, open_storage
from workloads.storage.records import HallOfFameRow

FIXTURES = Path(__file__).parent / "fixtures"
OPENAPI = FIXTURES / "openapi.json"
ANSWERS = FIXTURES / "api_answers.json"
TOKEN = "answers-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")

REQUESTS: list[tuple[str, dict[str, str]]] = [
    ("/health/liveness", {}),
    ("/health/readiness", {}),
    ("/health/readiness", AUTH),
    ("/v1/strategies", AUTH),
    ("/v1/strategies?all=true", AUTH),
    ("/v1/strategies?seed=sma_trend_filter&all=true", AUTH),
    ("/v1/strategies?limit=1&all=true", AUTH),
    ("/v1/strategies?symbol=ETH", AUTH),
    ("/v1/strategies/r1.1", AUTH),
    ("/v1/strategies/r1.3", AUTH),
    ("/v1/strategies/r9.9", AUTH),
    ("/v1/signals/BTC", AUTH),
    ("/v1/signals/BTC?top=3&all=true", AUTH),
    ("/v1/signals/BTC?seed=sma_trend_filter", AUTH),
    ("/v1/signals/ETH", AUTH),
    ("/v1/strategies", {}),
    ("/v1/strategies/r1.1", {"Authorization": "Bearer wrong"}),
    ("/v1/signals/BTC", {"Authorization": f"Basic {TOKEN}"}),
    ("/v1/strategies?limit=0&seed=no_such_seed", AUTH),
    ("/v1/strategies?limit=many&symbol=!x", AUTH),
    ("/v1/strategies/" + "x" * 201, AUTH),
    ("/v1/signals/!BTC?top=51", AUTH),
    ("/no/such/route", {}),
]
"""Every route, each answer it gives on the state of :func:`store_state` (200, 401, 404, 422)."""


def hof_entry(seed: str, params: dict[str, Any], fitness: float, promoted: bool) -> HallOfFameRow:
    return HallOfFameRow(
        strategy=seed,
        params=params,
        fitness=fitness if math.isfinite(fitness) else None,
        dsr=0.97 if promoted else 0.7,
        promoted=promoted,
        gate=() if promoted else ("dsr 0.7 < 0.95",),
        train_metrics={"sharpe": fitness, "profit_factor": math.inf, "sortino": math.nan, "calmar": -math.inf},
        holdout_metrics={"sharpe": 0.2},
        details={"robustness": {"neighbours": 4, "worst_sharpe": -math.inf, "spread": [0.1, math.nan]}},
    )


def store_state(settings: Settings) -> None:
    """400 synthetic bars of BTC, one run with two promoted strategies and one that failed its gate."""
    storage = open_storage(settings)
    bars = generate(400, 21)
    storage.put_bars("BTC", bars)
    storage.create_run("r1", {"symbol": "BTC", "fee_bps": 10.0, "long_only": False}, bars.fingerprint())
    storage.save_hall_of_fame(
        "r1",
        [
            hof_entry("ema_crossover", {"fast": 5, "slow": 30}, 1.2, promoted=True),
            hof_entry("sma_trend_filter", {"fast": 10, "slow": 50}, 0.8, promoted=False),
            hof_entry("donchian_breakout", {"window": 20}, math.nan, promoted=False),
            hof_entry("bollinger_bands", {"window": 20, "k": 2.0}, 0.5, promoted=True),
        ],
    )
    storage.close()


def served(tmp: Path) -> TestClient:
    settings = Settings(database_url=f"duckdb://{tmp}/answers.duckdb", api_token=TOKEN, home=tmp)
    store_state(settings)
    return TestClient(create_app(settings, responses=ResponseCache(fresh_seconds=0)))


def _normalised(value: Any, tmp: str) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "created_at" and item is not None:
                assert ISO_UTC.match(item), item
                item = "<created_at>"
            elif key == "latency_ms":
                assert isinstance(item, int | float) and item >= 0, item
                item = "<latency_ms>"
            out[key] = _normalised(item, tmp)
        return out
    if isinstance(value, list):
        return [_normalised(item, tmp) for item in value]
    if isinstance(value, str):
        return value.replace(tmp, "<tmp>")
    return value


def answer(client: TestClient, path: str, headers: dict[str, str], tmp: str) -> dict[str, Any]:
    """Status, headers (``content-length`` checked, then left out) and normalised JSON body of one request."""
    response = client.get(path, headers=headers)
    assert int(response.headers["content-length"]) == len(response.content)
    return {
        "status": response.status_code,
        "headers": {k: v for k, v in sorted(response.headers.items()) if k != "content-length"},
        "body": _normalised(response.json(), tmp),
    }


def answers(tmp: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with served(tmp) as client:
        for path, headers in REQUESTS:
            name = f"GET {path} {'token' if headers == AUTH else headers.get('Authorization', 'no token')}"
            yield name, answer(client, path, headers, str(tmp))


def openapi_document(tmp: Path) -> dict[str, Any]:
    settings = Settings(database_url=f"duckdb://{tmp}/openapi.duckdb", api_token=TOKEN, home=tmp)
    document: dict[str, Any] = create_app(settings).openapi()
    return document


def test_the_openapi_document_is_the_recorded_one(tmp_path):
    assert openapi_document(tmp_path) == json.loads(OPENAPI.read_text())


@pytest.fixture(scope="module")
def recorded() -> list[tuple[str, dict[str, Any]]]:
    return list(json.loads(ANSWERS.read_text()).items())


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> Iterator[tuple[TestClient, str]]:
    tmp = tmp_path_factory.mktemp("answers")
    with served(tmp) as client:
        yield client, str(tmp)


@pytest.mark.parametrize("index", range(len(REQUESTS)))
def test_every_answer_is_the_recorded_one(index, recorded, shared):
    client, tmp = shared
    path, headers = REQUESTS[index]
    name, expected = recorded[index]
    assert answer(client, path, headers, tmp) == expected, name


def test_every_request_has_a_recorded_answer(recorded):
    assert len(recorded) == len(REQUESTS)


def test_metrics_are_prometheus_text(tmp_path):
    with served(tmp_path) as client:
        response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == CONTENT_TYPE_LATEST
    assert "# TYPE genepool_http_requests_total counter" in response.text


def _failing(*args: Any, **kwargs: Any) -> Any:
    raise StorageError("database down")


@pytest.mark.parametrize(
    "path, method",
    [
        ("/v1/strategies", "list_strategies"),
        ("/v1/strategies/r1.1", "get_strategy"),
        ("/v1/signals/BTC", "last_bar_time"),
    ],
)
def test_a_storage_failure_is_503_with_a_sentence_naming_no_database(path, method, tmp_path, monkeypatch):
    with served(tmp_path) as client:
        monkeypatch.setattr(client.app.state.genepool.storage(), method, _failing)  # type: ignore[attr-defined]
        response = client.get(path, headers=AUTH)
    assert (response.status_code, response.json()) == (503, {"detail": "storage unavailable; try again shortly"})
    assert str(tmp_path) not in response.text


def test_readiness_with_unreachable_storage_is_503_unhealthy(tmp_path, monkeypatch):
    with served(tmp_path) as client:
        monkeypatch.setattr(client.app.state.genepool.storage(), "ping", _failing)  # type: ignore[attr-defined]
        response = client.get("/health/readiness")
    assert response.status_code == 503
    assert _normalised(response.json(), str(tmp_path)) == {
        "status": "unhealthy",
        "checks": {
            "storage": {"status": "unhealthy", "latency_ms": "<latency_ms>", "error": "storage check failed"},
            "cache": {"status": "healthy", "latency_ms": "<latency_ms>", "error": None},
            "ray": {"status": "healthy", "latency_ms": "<latency_ms>", "error": None},
        },
    }


def test_readiness_whose_checks_outlast_the_budget_is_503_within_it(tmp_path, monkeypatch):
    from workloads.service.budgets import READINESS_BUDGET_SECONDS

    with served(tmp_path) as client:
        slow = lambda: time.sleep(READINESS_BUDGET_SECONDS + 1)  # noqa: E731
        monkeypatch.setattr(client.app.state.genepool.storage(), "ping", slow)  # type: ignore[attr-defined]
        start = time.monotonic()
        response = client.get("/health/readiness")
        took = time.monotonic() - start
    assert response.status_code == 503 and took < READINESS_BUDGET_SECONDS + 0.5
    assert response.json() == {
        "status": "unhealthy",
        "checks": {
            "storage": {
                "status": "unhealthy",
                "latency_ms": READINESS_BUDGET_SECONDS * 1000,
                "error": "checks not finished within its budget",
            }
        },
    }


def test_a_scrape_whose_storage_read_outlasts_the_budget_answers_the_process_metrics(tmp_path, monkeypatch):
    from workloads.service.budgets import METRICS_BUDGET_SECONDS

    with served(tmp_path) as client:
        client.get("/health/liveness")
        slow = lambda **_: time.sleep(METRICS_BUDGET_SECONDS + 1)  # noqa: E731
        storage = client.app.state.genepool.storage()  # type: ignore[attr-defined]
        monkeypatch.setattr(storage, "last_generation_time", slow)
        start = time.monotonic()
        response = client.get("/metrics")
        took = time.monotonic() - start
    assert response.status_code == 200 and took < METRICS_BUDGET_SECONDS + 0.5
    assert 'genepool_http_requests_total{method="GET",route="/health/liveness",status="200"}' in response.text
    assert "genepool_last_generation_timestamp_seconds" not in response.text


def record() -> None:
    """Re-record both fixtures from the current code."""
    with tempfile.TemporaryDirectory() as tmp:
        document = openapi_document(Path(tmp))
    OPENAPI.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    with tempfile.TemporaryDirectory() as tmp:
        recorded = dict(answers(Path(tmp)))
    ANSWERS.write_text(json.dumps(recorded, indent=2, ensure_ascii=False) + "\n")
    print(f"recorded {OPENAPI} and {ANSWERS} ({len(recorded)} answers)", file=sys.stderr)


if __name__ == "__main__":
    record()
