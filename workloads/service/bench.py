"""API load benchmark: req/s and latency percentiles of ``/v1/strategies`` and ``/v1/signals/{symbol}`` served by
``genepool serve`` (a separate process) over the configured PostgreSQL and Redis, with ``--clients`` concurrent
clients on this machine.

Setup (idempotent): ``--bars`` synthetic hourly bars are stored for ``--symbol`` when fewer are stored, and a run
with a hall of fame of ``--strategies`` fused-seed strategies evolved on it. The server starts with the settings of
the environment or ``--stack-outputs`` (``GENEPOOL_DATABASE_URL``/``GENEPOOL_REDIS_URL``) and a throwaway token.
One untimed warm-up request per route fills the signals cache (the document is computed once per last stored bar;
see :mod:`workloads.service.signals`). Then, per route, ``--clients`` clients send requests back to back until
``--requests`` have been sent or ``--seconds`` have passed, whichever is first.

Reported per route: requests, errors (non-200), req/s (completed / wall time), p50 and p99 latency (ms). The load
generator (httpx, asyncio, one process) shares the machine with the server, so on a small machine its own CPU use
caps the figures. Asserts nothing about time.

Usage: ``python -m workloads.service.bench [--bars 1000000] [--clients 50] [--requests 20000] [--seconds 30]
[--json]`` (needs PostgreSQL: a DuckDB file serves one process at a time).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import time
from typing import Any

import httpx
import numpy as np

from workloads.settings import load_settings

RUN_ID = "api-bench"
SEEDS = ("ema_crossover", "sma_trend_filter", "donchian_breakout", "bollinger_bands", "rsi_filter")


def prepare(symbol: str, bars: int, strategies: int, stack_outputs: str | None) -> None:
    """Store the bars and the hall of fame the benchmark reads (skipped when already there)."""
    from workloads.data.synthetic import generate
    from workloads.seeds.registry import get_seed
    from workloads.storage import open_storage

    settings = load_settings(stack_outputs)
    if not settings.is_postgres:
        raise SystemExit("error: the API benchmark needs GENEPOOL_DATABASE_URL=postgresql://… (DuckDB is one process)")
    with open_storage(settings) as storage:
        summary = {s.symbol: s for s in storage.symbol_summaries()}.get(symbol)
        data = generate(bars, 11, symbol=symbol)
        if summary is None or summary.bars < bars:
            storage.put_bars(symbol, data, replace=True)
        if storage.get_run(RUN_ID) is None:
            storage.create_run(RUN_ID, {"symbol": symbol}, data.fingerprint())
        entries = []
        for index in range(strategies):
            seed = get_seed(SEEDS[index % len(SEEDS)])
            params = dict(zip(seed.genes.names, seed.genes.defaults().tolist(), strict=True))
            entries.append({"strategy": seed.name, "params": params, "fitness": 1.0 - index / 100, "dsr": 0.5})
            entries[-1].update(train={"sharpe": 1.0}, holdout=None)
        storage.save_hall_of_fame(RUN_ID, entries)


def start_server(port: int, token: str, stack_outputs: str | None) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-c", "from workloads.cli import main; main()", "serve", "--port", str(port)]
    if stack_outputs:
        argv += ["--stack-outputs", stack_outputs]
    env = {**os.environ, "GENEPOOL_API_TOKEN": token}
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health/liveness", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("error: the API did not start within 60 s")


async def load(url: str, token: str, clients: int, requests: int, seconds: float) -> dict[str, Any]:
    """``clients`` concurrent clients on ``url`` until ``requests`` are sent or ``seconds`` pass."""
    latencies: list[float] = []
    errors = 0
    sent = 0
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, limits=limits, timeout=30) as http:

        async def client() -> None:
            nonlocal errors, sent
            while sent < requests and time.monotonic() < deadline:
                sent += 1
                start = time.perf_counter()
                try:
                    ok = (await http.get(url)).status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - start)
                errors += not ok

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        wall = time.perf_counter() - started
    ms = np.array(latencies) * 1000
    return {
        "requests": len(latencies),
        "errors": errors,
        "req_per_s": round(len(latencies) / wall, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p99_ms": round(float(np.percentile(ms, 99)), 1),
        "seconds": round(wall, 2),
    }


def run_benchmark(
    *,
    symbol: str = "BENCH",
    bars: int = 1_000_000,
    strategies: int = 5,
    clients: int = 50,
    requests: int = 20_000,
    seconds: float = 30.0,
    port: int = 8765,
    stack_outputs: str | None = None,
) -> dict[str, Any]:
    prepare(symbol, bars, strategies, stack_outputs)
    token = secrets.token_urlsafe(16)
    server = start_server(port, token, stack_outputs)
    base = f"http://127.0.0.1:{port}"
    routes = {"/v1/strategies": f"{base}/v1/strategies?limit=10", "/v1/signals": f"{base}/v1/signals/{symbol}"}
    try:
        results: dict[str, Any] = {}
        for name, url in routes.items():
            started = time.perf_counter()
            warm = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=120)
            results[name] = {"warm_up_status": warm.status_code, "warm_up_ms": (time.perf_counter() - started) * 1000}
            results[name] |= asyncio.run(load(url, token, clients, requests, seconds))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "symbol": symbol,
        "stored_bars": bars,
        "clients": clients,
        "cpus": os.cpu_count(),
        "routes": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m workloads.service.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--symbol", default="BENCH")
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--strategies", type=int, default=5)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20_000, help="per route")
    parser.add_argument("--seconds", type=float, default=30.0, help="per route")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--stack-outputs", default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run_benchmark(
        symbol=args.symbol,
        bars=args.bars,
        strategies=args.strategies,
        clients=args.clients,
        requests=args.requests,
        seconds=args.seconds,
        port=args.port,
        stack_outputs=args.stack_outputs,
    )
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"{result['stored_bars']:,} stored bars of {result['symbol']}, {result['clients']} clients, "
        f"{result['cpus']} CPUs"
    )
    for name, figures in result["routes"].items():
        print(
            f"{name:16} {figures['req_per_s']:8.1f} req/s  p50 {figures['p50_ms']:7.1f} ms  "
            f"p99 {figures['p99_ms']:7.1f} ms  ({figures['requests']} requests, {figures['errors']} errors, "
            f"warm-up {figures['warm_up_ms']:.0f} ms)"
        )


if __name__ == "__main__":
    main()
