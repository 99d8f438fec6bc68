"""The OpenAPI document is true (issue #17, item 13): schemathesis, every check, a fixed seed and bounded examples,
against the API served by uvicorn on a loopback port over real PostgreSQL and Redis holding bars and strategies."""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.api_server import serving
from workloads.data.synthetic import generate
from workloads.service import create_app
from workloads.settings import Settings
from workloads.storage import open_storage
from workloads.storage.records import HallOfFameRow

pytestmark = pytest.mark.integration
TOKEN = "contract-token"


def _schemathesis() -> str:
    found = shutil.which("st") or str(Path(sys.executable).with_name("st"))
    if not Path(found).exists():
        pytest.fail("schemathesis is not installed: pip install -e '.[test]'")
    return found


def test_schemathesis_finds_no_contract_failure_with_every_check(postgres, redis_server, tmp_path):
    settings = Settings(database_url=postgres.url, redis_url=redis_server.url, api_token=TOKEN, home=tmp_path)
    bars = generate(400, 3)
    with open_storage(settings) as storage:
        storage.put_bars("BTC", bars)
        storage.create_run("c1", {"symbol": "BTC"}, bars.fingerprint())
        storage.save_hall_of_fame(
            "c1",
            [
                HallOfFameRow(
                    strategy="ema_crossover",
                    params={"fast": 5, "slow": 30},
                    fitness=1.0,
                    dsr=0.5,
                    train_metrics={"sharpe": 1.0, "profit_factor": math.inf},
                    holdout_metrics=None,
                )
            ],
        )
    with serving(create_app(settings)) as base:
        result = subprocess.run(
            [
                _schemathesis(),
                "run",
                f"{base}/openapi.json",
                "--checks",
                "all",
                "--seed",
                "17",
                "--max-examples",
                "25",
                "--header",
                f"Authorization: Bearer {TOKEN}",
                "--request-timeout",
                "30",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=tmp_path,
        )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
