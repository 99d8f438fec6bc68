"""End to end: bars fetched through ccxt from the local exchange are what ``genepool evolve --symbol`` evolves on."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from workloads.cli import app


def test_evolve_runs_on_the_bars_data_fetch_stored(exchange):
    runner = CliRunner()
    fetched = runner.invoke(
        app,
        ["data", "fetch", "--exchange", "binance", "--symbol", "BTC/USDT:USDT", "--since", "2024-01-01",
         "--exchange-url", exchange.url, "--json"],
    )  # fmt: skip
    assert fetched.exit_code == 0, fetched.output

    result = runner.invoke(
        app,
        ["evolve", "--symbol", "binance:BTCUSDT-PERP", "--strategies", "ema_crossover", "--population", "8",
         "--generations", "2", "--json"],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["data"]["symbol"] == "binance:BTCUSDT-PERP"
    assert summary["data"]["bars"] == json.loads(fetched.stdout)["inserted"]
