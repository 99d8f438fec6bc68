"""Running ``genepool demo`` twice in one home stores two runs, but the API lists each promoted strategy once."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from workloads.cli import app
from workloads.service.app import create_app
from workloads.settings import Settings, default_database_url
from workloads.storage import open_storage
from workloads.storage.base import MAX_LIMIT

pytestmark = pytest.mark.slow

TOKEN = "demo-twice-token"


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("demo-twice")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GENEPOOL_HOME", str(home / "home"))
        for name in ("GENEPOOL_DATABASE_URL", "GENEPOOL_REDIS_URL", "GENEPOOL_RAY_ADDRESS", "RAY_ADDRESS"):
            patch.delenv(name, raising=False)
        for attempt in ("first", "second"):
            result = CliRunner().invoke(app, ["demo", "--out-dir", str(home / attempt)])
            assert result.exit_code == 0, result.output
    return home / "home"


def test_the_second_demo_adds_no_promoted_strategy_to_the_api(home):
    settings = Settings(database_url=default_database_url(home), api_token=TOKEN, home=home)
    with open_storage(settings) as storage:
        runs = {s.run_id for s in storage.list_strategies(limit=1000)}
        every = [s for s in storage.list_strategies(limit=1000) if s.promoted]
    assert len(runs) == 2 and every
    with TestClient(create_app(settings)) as client:
        response = client.get(
            "/v1/strategies", params={"limit": MAX_LIMIT}, headers={"Authorization": f"Bearer {TOKEN}"}
        )
    assert response.status_code == 200, response.text
    listed = response.json()["strategies"]
    keys = [(s["seed"], tuple(sorted(s["params"].items()))) for s in listed]
    assert len(keys) == len(set(keys)) == len(every) // 2
    first_run = min(every, key=lambda s: s.created_at or "").run_id
    assert {s["run_id"] for s in listed} == {first_run}
