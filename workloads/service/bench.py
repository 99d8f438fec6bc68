"""API load benchmark: req/s and latency percentiles of ``/v1/strategies`` and ``/v1/signals/{symbol}`` served by
``genepool serve`` (a separate process) over the configured PostgreSQL and Redis, with ``--clients`` concurrent
clients on this machine.

Setup (idempotent): ``--bars`` synthetic hourly bars are stored for ``--symbol`` when fewer are stored, and a run
with a hall of fame of ``--strategies`` promoted fused-seed strategies evolved on it. The server starts with the
settings of the environment or ``--stack-outputs`` (``GENEPOOL_DATABASE_URL``/``GENEPOOL_REDIS_URL``), a throwaway
token and ``--workers`` processes. One untimed warm-up request per route fills the signals cache (the document is
computed once per last stored bar; see :mod:`workloads.service.signals`). Then, per route, ``--clients`` clients
(one keep-alive connection each) send requests back to back until ``--requests`` have been sent or ``--seconds``
have passed, whichever is first.

The load generator is one process: raw HTTP/1.1 over asyncio protocols (uvloop when installed), a few microseconds
of CPU per request, because it shares the machine with the server. ``--pin`` puts the server (and its workers) on
CPU 0 and the generator on CPU 1 (the other processes of the machine, PostgreSQL and Redis included, are not
pinned).

Reported per route: requests, errors (non-200), req/s (completed / wall time), p50 and p99 latency (ms), and the CPU
used during the timed load: the server's processes, the generator, and the rest of the machine (from
``/proc/stat``: PostgreSQL, Redis and whatever else runs), each in CPU seconds per second of wall time. Asserts
nothing about time.

Usage: ``python -m workloads.service.bench [--bars 1000000] [--clients 50] [--requests 200000] [--seconds 20]
[--workers 1] [--pin] [--json]`` (needs PostgreSQL: a DuckDB file serves one process at a time).
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
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from workloads.settings import load_settings

RUN_ID = "api-bench"
SEEDS = ("ema_crossover", "sma_trend_filter", "donchian_breakout", "bollinger_bands", "rsi_filter")
SERVER_CPU = 0
GENERATOR_CPU = 1
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def prepare(symbol: str, bars: int, strategies: int, stack_outputs: str | None) -> None:
    """Store the bars and the hall of fame (promoted) the benchmark reads (bars skipped when already there)."""
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
            entries[-1].update(train={"sharpe": 1.0}, holdout=None, promoted=True)
        storage.save_hall_of_fame(RUN_ID, entries)


def start_server(
    port: int, token: str, stack_outputs: str | None, workers: int = 1, cpus: set[int] | None = None
) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-c", "from workloads.cli import main; main()", "serve", "--port", str(port)]
    if workers != 1:
        argv += ["--workers", str(workers)]
    if stack_outputs:
        argv += ["--stack-outputs", stack_outputs]
    env = {**os.environ, "GENEPOOL_API_TOKEN": token}
    pin: Callable[[], None] | None = None if cpus is None else (lambda: os.sched_setaffinity(0, cpus))
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=pin)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health/liveness", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("error: the API did not start within 60 s")


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection sending one fixed GET at a time; :meth:`get` returns the status."""

    def __init__(self, request: bytes) -> None:
        self.request = request
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[int] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0 or self.waiter is None or self.waiter.done():
            return
        length = -1
        for line in self.buffer[:end].split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
                break
        if length < 0:
            self.waiter.set_exception(ConnectionError("response without content-length"))
            return
        if len(self.buffer) < end + 4 + length:
            return
        status = int(self.buffer[9:12])
        self.buffer = self.buffer[end + 4 + length :]
        self.waiter.set_result(status)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("connection closed"))

    async def get(self) -> int:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(self.request)
        return await self.waiter


async def _load(host: str, port: int, target: str, token: str, clients: int, requests: int, seconds: float) -> Any:
    request = (
        f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
        "Accept: application/json\r\n\r\n"
    ).encode()
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    errors = 0
    sent = 0
    deadline = time.monotonic() + seconds

    async def client() -> None:
        nonlocal errors, sent
        connection: _Connection | None = None
        while sent < requests and time.monotonic() < deadline:
            sent += 1
            start = time.perf_counter()
            try:
                if connection is None or connection.transport is None:
                    _, connection = await loop.create_connection(lambda: _Connection(request), host, port)
                ok = await asyncio.wait_for(connection.get(), 30) == 200
            except (OSError, TimeoutError):
                ok, connection = False, None
            latencies.append(time.perf_counter() - start)
            errors += not ok
        if connection is not None and connection.transport is not None:
            connection.transport.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, errors, time.perf_counter() - started


def _run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coroutine)


def _process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by ``pid`` and its live descendants (Linux ``/proc``)."""
    children: dict[int, list[int]] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / _TICKS
    total, stack = 0.0, [pid]
    while stack:
        current = stack.pop()
        total += times.get(current, 0.0)
        stack.extend(children.get(current, []))
    return total


def _machine_cpu() -> float:
    """CPU seconds the whole machine has been busy (``/proc/stat``: everything but idle and iowait)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / _TICKS


def load(
    url: str, token: str, clients: int, requests: int, seconds: float, server_pid: int | None = None
) -> dict[str, Any]:
    """``clients`` concurrent clients on ``url`` until ``requests`` are sent or ``seconds`` pass."""
    parsed = httpx.URL(url)
    target = parsed.raw_path.decode()
    before = (_process_tree_cpu(server_pid) if server_pid else 0.0, time.process_time(), _machine_cpu())
    latencies, errors, wall = _run(_load(parsed.host, parsed.port or 80, target, token, clients, requests, seconds))
    after = (_process_tree_cpu(server_pid) if server_pid else 0.0, time.process_time(), _machine_cpu())
    server, generator, machine = (b - a for a, b in zip(before, after, strict=True))
    ms = np.array(latencies) * 1000
    return {
        "requests": len(latencies),
        "errors": errors,
        "req_per_s": round(len(latencies) / wall, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p99_ms": round(float(np.percentile(ms, 99)), 1),
        "seconds": round(wall, 2),
        "cpu": {
            "server": round(server / wall, 2),
            "generator": round(generator / wall, 2),
            "rest_of_machine": round(max(machine - server - generator, 0.0) / wall, 2),
        },
    }


def run_benchmark(
    *,
    symbol: str = "BENCH",
    bars: int = 1_000_000,
    strategies: int = 5,
    clients: int = 50,
    requests: int = 200_000,
    seconds: float = 20.0,
    port: int = 8765,
    workers: int = 1,
    pin: bool = False,
    stack_outputs: str | None = None,
) -> dict[str, Any]:
    prepare(symbol, bars, strategies, stack_outputs)
    token = secrets.token_urlsafe(16)
    pinned = pin and (os.cpu_count() or 1) > 1
    server = start_server(port, token, stack_outputs, workers, {SERVER_CPU} if pinned else None)
    affinity = os.sched_getaffinity(0)
    if pinned:
        os.sched_setaffinity(0, {GENERATOR_CPU})
    base = f"http://127.0.0.1:{port}"
    routes = {"/v1/strategies": f"{base}/v1/strategies?limit=10", "/v1/signals": f"{base}/v1/signals/{symbol}"}
    try:
        results: dict[str, Any] = {}
        for name, url in routes.items():
            started = time.perf_counter()
            warm = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=120)
            results[name] = {"warm_up_status": warm.status_code, "warm_up_ms": (time.perf_counter() - started) * 1000}
            results[name] |= load(url, token, clients, requests, seconds, server.pid)
    finally:
        os.sched_setaffinity(0, affinity)
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return {
        "symbol": symbol,
        "stored_bars": bars,
        "clients": clients,
        "cpus": os.cpu_count(),
        "workers": workers,
        "pinned": pinned,
        "load_average": os.getloadavg()[0],
        "routes": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m workloads.service.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--symbol", default="BENCH")
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--strategies", type=int, default=5)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=200_000, help="per route")
    parser.add_argument("--seconds", type=float, default=20.0, help="per route")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=1, help="server processes (genepool serve --workers)")
    parser.add_argument("--pin", action="store_true", help="server on CPU 0, load generator on CPU 1")
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
        workers=args.workers,
        pin=args.pin,
        stack_outputs=args.stack_outputs,
    )
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"{result['stored_bars']:,} stored bars of {result['symbol']}, {result['clients']} clients, "
        f"{result['cpus']} CPUs, {result['workers']} server worker(s)"
        f"{', server on CPU 0 and generator on CPU 1' if result['pinned'] else ''}, "
        f"load average {result['load_average']:.2f} at the end"
    )
    for name, figures in result["routes"].items():
        cpu = figures["cpu"]
        print(
            f"{name:16} {figures['req_per_s']:8.1f} req/s  p50 {figures['p50_ms']:7.1f} ms  "
            f"p99 {figures['p99_ms']:7.1f} ms  ({figures['requests']} requests, {figures['errors']} errors, "
            f"warm-up {figures['warm_up_ms']:.0f} ms; CPU cores: server {cpu['server']:.2f}, "
            f"generator {cpu['generator']:.2f}, rest {cpu['rest_of_machine']:.2f})"
        )


if __name__ == "__main__":
    main()
