"""The results of one small deterministic run, as JSON: what ``tests/cli/test_pinned_results.py`` compares with the
fixtures in ``tests/cli/pinned/``.

The run: 600 synthetic bars (generator seed 3) imported under symbol ``PIN``, then ``genepool evolve --symbol PIN``
with two seeds, population 8, 3 generations, a hall of fame of 5, random seed 11, one trade per segment and a
promotion DSR of 0.3 (so some entries are promoted and the signals route answers), checkpoints in the database, on
the embedded DuckDB store and the in-process cache. What is recorded:

- ``hall_of_fame.json``: the ``hall_of_fame`` of ``evolve --json``.
- ``stored_rows.json``: every row of every table the run writes, read with plain SQL from the DuckDB file (JSON
  columns parsed, values otherwise as stored: non-finite numbers in documents stay the strings the store wrote).
  Normalised: timestamps of when a row was written (``started_at``, ``finished_at``, ``recorded_at``,
  ``created_at``, ``applied_at``) become ``"<time>"``; wall-clock durations (``seconds``, ``evaluation_seconds``)
  become ``"<seconds>"``; checkpoint payloads (pickled state with timings) become their length class
  ``"<bytes>"``; the bars become their count and a SHA-256 of their values.
- ``api_answers.json``: the answers of the read routes (``/v1/strategies`` with and without ``all``, each stored
  strategy by id, ``/v1/signals/PIN`` with and without ``all``), from ``create_app`` over the stored file.

Regenerate (only when a change of results is intended, and say why in the commit):
``PYTHONPATH=$PWD python -m tests.cli.pinned_results``.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).with_name("pinned")
SYMBOL = "PIN"
RUN_ID = "pinned"
TOKEN = "pinned-token"
EVOLVE = [
    "evolve",
    "--symbol",
    SYMBOL,
    "--strategies",
    "ema_crossover,donchian_breakout",
    "--population",
    "8",
    "--generations",
    "3",
    "--hall-of-fame",
    "5",
    "--random-seed",
    "11",
    "--run-id",
    RUN_ID,
    "--min-trades",
    "1",
    "--set",
    "promote_dsr=0.3",
    "--checkpoints",
    "database",
    "--json",
]
WRITE_TIMES = {"started_at", "finished_at", "recorded_at", "created_at", "applied_at"}
DURATIONS = {"seconds", "evaluation_seconds"}
TABLES = ("runs", "generations", "strategies", "checkpoints", "schema_migrations")


def _normalise(value: Any, key: str | None = None, home: str | None = None) -> Any:
    if key in DURATIONS and isinstance(value, (int, float, str)):
        return "<seconds>"
    if key in WRITE_TIMES and value is not None:
        return "<time>"
    if isinstance(value, str) and home:
        return value.replace(home, "<home>")
    if isinstance(value, dict):
        return {k: _normalise(v, k, home) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v, None, home) for v in value]
    return value


def _cell(table: str, column: str, value: Any, home: str) -> Any:
    if column in WRITE_TIMES:
        return "<time>"
    if table == "checkpoints" and column == "payload":
        return "<bytes>"
    if isinstance(value, str) and column in {
        "config",
        "summary",
        "stats",
        "params",
        "train_metrics",
        "holdout_metrics",
        "details",
        "gate",
    }:
        return _normalise(json.loads(value), None, home)
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return value


def stored_rows(path: Path, home: Path) -> dict[str, Any]:
    """Every row of the tables a run writes (normalised, see the module doc) and a digest of the bars."""
    import duckdb

    out: dict[str, Any] = {}
    with duckdb.connect(str(path), read_only=True) as conn:
        for table in TABLES:
            cursor = conn.execute(f"SELECT * FROM {table}")  # noqa: S608 (a fixed table name)
            columns = [d[0] for d in cursor.description]
            rows = [
                {column: _cell(table, column, value, str(home)) for column, value in zip(columns, row, strict=True)}
                for row in cursor.fetchall()
            ]
            key = [c for c in ("run_id", "id", "generation", "version") if c in columns]
            out[table] = sorted(rows, key=lambda r: tuple(str(r[c]) for c in key))
        bars = conn.execute(
            "SELECT symbol, epoch_us(ts), open, high, low, close, volume, funding_rate FROM ohlcv ORDER BY symbol, ts"
        ).fetchall()
    out["ohlcv"] = {"rows": len(bars), "sha256": hashlib.sha256(repr(bars).encode()).hexdigest()}
    return out


def api_answers(database: Path, home: Path) -> dict[str, Any]:
    """The read routes' status and body over the stored file."""
    from fastapi.testclient import TestClient

    from workloads.service.app import create_app
    from workloads.settings import Settings

    settings = Settings(database_url=f"duckdb://{database}", api_token=TOKEN, home=home)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    answers: dict[str, Any] = {}
    with TestClient(create_app(settings)) as client:

        def get(path: str) -> Any:
            response = client.get(path, headers=auth)
            answers[path] = {"status": response.status_code, "body": response.json()}
            return response.json()

        get("/v1/strategies")
        everything = get("/v1/strategies?all=true&limit=100")
        get(f"/v1/strategies?all=true&symbol={SYMBOL}&seed=ema_crossover")
        for strategy in everything["strategies"]:
            get(f"/v1/strategies/{strategy['id']}")
        get(f"/v1/strategies/{RUN_ID}.99")
        get(f"/v1/signals/{SYMBOL}")
        get(f"/v1/signals/{SYMBOL}?all=true&top=10")
    return {
        path: {"status": a["status"], "body": _normalise(a["body"], None, str(home))} for path, a in answers.items()
    }


def run(home: Path) -> dict[str, Any]:
    """Import the bars, evolve, and read back what the run left: ``{fixture name: document}``."""
    from typer.testing import CliRunner

    from workloads.cli import app
    from workloads.data.loaders import write_bars
    from workloads.data.synthetic import generate

    home.mkdir(parents=True, exist_ok=True)
    data = home / "bars.parquet"
    write_bars(generate(600, 3), data)
    env = {"GENEPOOL_HOME": str(home)}
    runner = CliRunner()
    imported = runner.invoke(app, ["data", "import", str(data), "--symbol", SYMBOL], env=env)
    assert imported.exit_code == 0, imported.output
    evolved = runner.invoke(app, EVOLVE, env=env)
    assert evolved.exit_code == 0, evolved.output
    summary = json.loads(evolved.stdout)
    database = next(home.glob("*.duckdb"))
    return {
        "hall_of_fame": _normalise(summary["hall_of_fame"], None, str(home)),
        "stored_rows": stored_rows(database, home),
        "api_answers": api_answers(database, home),
    }


def write(documents: dict[str, Any]) -> None:
    FIXTURES.mkdir(exist_ok=True)
    for name, document in documents.items():
        (FIXTURES / f"{name}.json").write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        write(run(Path(directory) / "home"))
    sys.exit(0)
