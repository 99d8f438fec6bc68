"""The first backfill is streamed: a year of 1-minute bars (525,600, through ccxt from the local exchange stand-in,
into a real PostgreSQL) is fetched in bounded memory. Peak RSS of the ``genepool data fetch`` process is measured
(``VmHWM``) against the same command fetching one day, and printed."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from tests.market.exchange_server import ExchangeServer, FakeBinance
from workloads.storage import open_storage

pytestmark = [pytest.mark.integration, pytest.mark.slow]

NOW = datetime(2025, 1, 1, 0, 30, tzinfo=UTC)
GROWTH_BOUND_MB = 80.0
"""Peak RSS a year of 1-minute bars may add over a one-day fetch. Holding the window (the ccxt rows as Python lists,
~300 bytes a bar, an estimate) would add some 150 MB; one batch of 50,000 bars is a few MB of arrays plus its rows."""

MEASURE = """
import sys
from workloads.cli import main
try:
    main()
finally:
    status = open("/proc/self/status").read()
    peak = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    print("PEAK_KB", peak.split()[1], file=sys.stderr)
"""


def peak_kb(server: ExchangeServer, env: dict[str, str], days: int, symbol: str) -> tuple[int, str]:
    command = ["data", "fetch", "--exchange", "binance", "--symbol", "BTC/USDT:USDT", "--timeframe", "1m"]
    command += ["--backfill-days", str(days), "--store-as", symbol, "--exchange-url", server.url, "--json"]
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *command], capture_output=True, text=True, env=env, timeout=1800
    )
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stderr.splitlines() if line.startswith("PEAK_KB"))
    return int(line.split()[1]), done.stdout


def test_a_year_of_one_minute_bars_backfills_in_bounded_memory(postgres, tmp_path):
    listed = NOW - timedelta(days=370)
    state = FakeBinance(now_ms=int(NOW.timestamp() * 1000), listed_ms=int(listed.timestamp() * 1000), max_limit=1500)
    env = {**os.environ, "GENEPOOL_DATABASE_URL": postgres.url, "GENEPOOL_HOME": str(tmp_path)}
    env |= {
        "GENEPOOL_FETCH_BACKOFF_SECONDS": "0.01",
        "GENEPOOL_FETCH_ATTEMPTS": "3",
        "GENEPOOL_FETCH_RATE_LIMIT_MS": "0",
    }
    with ExchangeServer(state) as server:
        day_kb, _ = peak_kb(server, env, 1, "DAY")
        year_kb, _ = peak_kb(server, env, 365, "YEAR")
    with open_storage(postgres.url) as storage:
        bars = {s.symbol: s.bars for s in storage.symbol_summaries()}
    growth_mb = (year_kb - day_kb) / 1024
    print(
        f"\npeak RSS: one day {day_kb / 1024:.0f} MB, a year of 1-minute bars ({bars['YEAR']:,} bars) "
        f"{year_kb / 1024:.0f} MB: +{growth_mb:.0f} MB (bound {GROWTH_BOUND_MB:.0f} MB)"
    )
    assert bars["YEAR"] == 365 * 1440 and bars["DAY"] == 1440
    assert growth_mb < GROWTH_BOUND_MB
