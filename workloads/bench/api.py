"""API load benchmark: req/s and latency percentiles of ``/v1/strategies`` and ``/v1/signals/{symbol}`` (answered
from memory: the cached routes) and of ``/v1/strategies/{id}`` over every stored strategy id with the answer cache
bypassed (the uncached route: every request reads PostgreSQL), served by ``genepool serve`` (a separate process)
over the configured PostgreSQL and Redis, with ``--clients`` concurrent clients on this machine.

Setup (idempotent): ``--bars`` synthetic hourly bars are stored for ``--symbol`` when fewer are stored, and a run
with a hall of fame of ``--strategies`` (1,000) promoted fused-seed strategies evolved on it. The server starts with the
settings of the environment or ``--stack-outputs`` (``GENEPOOL_DATABASE_URL``/``GENEPOOL_REDIS_URL``), a throwaway
token and ``--workers`` processes. One untimed warm-up request per route fills the signals cache (the document is
computed once per last stored bar; see :mod:`workloads.service.signals`). Then, per route, ``--clients`` clients
(one keep-alive connection each) send requests back to back until ``--requests`` have been sent or ``--seconds``
have passed, whichever is first.

**The uncached route.** Client ``i`` walks the strategy ids in order from the ``i``-th fiftieth of the list, so at
every moment the clients ask for different ids. Its requests spell the scheme ``bearer`` (lower case), which the
route accepts and the answer cache never serves or stores (:mod:`workloads.service.fast_path`): each request goes
through the route's authentication, validation, database read and response model, on any version of the server.
The figures are checked against :data:`UNCACHED_TARGET_REQ_PER_S` and :data:`UNCACHED_TARGET_P99_MS`.
``--compare-with DIR`` also serves the API from the checkout in ``DIR`` (e.g. ``git worktree add DIR <commit>``)
beside this one, same port range, same pinning, and measures the two in alternating ``--rounds`` (before, after,
before, after, …) in the same run: a paired comparison under the same machine load. The 1-minute load average is
read before and after each measurement and printed beside it. Before the HTTP runs, :func:`read_costs` times the
storage read alone, synchronous against async, in this process.

The load generator is one process: raw HTTP/1.1 over asyncio protocols (uvloop when installed), a few microseconds
of CPU per request, because it shares the machine with the server. ``--pin`` puts the server (and its workers) on
CPU 0 and the generator on CPU 1 (the other processes of the machine, PostgreSQL and Redis included, are not
pinned).

Reported per route: requests, errors (non-200), req/s (completed / wall time), p50 and p99 latency (ms), and the CPU
used during the timed load: the server's processes, the generator, and the rest of the machine (from
``/proc/stat``: PostgreSQL, Redis and whatever else runs), each in CPU seconds per second of wall time, and the
server's CPU per request (µs). Asserts nothing about time.

Usage: ``python -m workloads.bench.api [--routes cached,uncached] [--bars 1000000] [--strategies 1000]
[--clients 50] [--requests 200000] [--seconds 20] [--workers 1] [--pin] [--compare-with DIR] [--rounds 2] [--json]``
(needs PostgreSQL: a DuckDB file serves one process at a time); also ``genepool bench --only-api``.
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
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from workloads.settings import load_settings

RUN_ID = "api-bench"
SEEDS = ("ema_crossover", "sma_trend_filter", "donchian_breakout", "bollinger_bands", "rsi_filter")
SERVER_CPU = 0
GENERATOR_CPU = 1
UNCACHED_ROUTE = "/v1/strategies/{id}"
UNCACHED_TARGET_REQ_PER_S = 3000.0
"""Target of the uncached route at 50 clients: at least this many requests per second ..."""
UNCACHED_TARGET_P99_MS = 50.0
"""... with a 99th percentile latency below this (milliseconds)."""
CACHE_BYPASS_SCHEME = "bearer"
"""The scheme spelling the answer cache neither serves nor stores (the route accepts it)."""
ROUTE_SETS = ("cached", "uncached")
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def prepare(symbol: str, bars: int, strategies: int, stack_outputs: str | None) -> list[str]:
    """Store the bars and the hall of fame (promoted) the benchmark reads (bars skipped when already there);
    returns the strategy ids."""
    from workloads.data.synthetic import generate
    from workloads.seeds.registry import get_seed
    from workloads.storage import open_storage
    from workloads.storage.records import HallOfFameRow

    settings = load_settings(stack_outputs)
    if not settings.is_postgres:
        raise ValueError("the API benchmark needs GENEPOOL_DATABASE_URL=postgresql://… (DuckDB is one process)")
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
            entries.append(
                HallOfFameRow(
                    strategy=seed.name,
                    params=params,
                    fitness=1.0 - index / strategies,
                    dsr=0.5,
                    train_metrics={"sharpe": 1.0},
                    holdout_metrics=None,
                    promoted=True,
                )
            )
        return storage.save_hall_of_fame(RUN_ID, entries)


def start_server(
    port: int,
    token: str,
    stack_outputs: str | None,
    workers: int = 1,
    cpus: set[int] | None = None,
    checkout: str | None = None,
) -> subprocess.Popen[bytes]:
    """``genepool serve`` in a new process, from this installation or from the source tree ``checkout``."""
    argv = [sys.executable, "-c", "from workloads.cli import main; main()", "serve", "--port", str(port)]
    if workers != 1:
        argv += ["--workers", str(workers)]
    if stack_outputs:
        argv += ["--stack-outputs", stack_outputs]
    env = {**os.environ, "GENEPOOL_API_TOKEN": token}
    if checkout is not None:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (checkout, os.environ.get("PYTHONPATH")) if p)
    pin: Callable[[], None] | None = None if cpus is None else (lambda: os.sched_setaffinity(0, cpus))
    process = subprocess.Popen(
        argv, env=env, cwd=checkout, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=pin
    )
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
    """One keep-alive HTTP/1.1 connection sending one GET at a time; :meth:`get` returns the status."""

    def __init__(self) -> None:
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

    async def get(self, request: bytes) -> int:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.waiter


async def _load(
    host: str, port: int, targets: Sequence[str], authorization: str, clients: int, requests: int, seconds: float
) -> Any:
    encoded = [
        (
            f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: {authorization}\r\n"
            "Accept: application/json\r\n\r\n"
        ).encode()
        for target in targets
    ]
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    errors = 0
    sent = 0
    deadline = time.monotonic() + seconds

    async def client(index: int) -> None:
        nonlocal errors, sent
        connection: _Connection | None = None
        position = index * len(encoded) // clients
        while sent < requests and time.monotonic() < deadline:
            sent += 1
            request = encoded[position % len(encoded)]
            position += 1
            start = time.perf_counter()
            try:
                if connection is None or connection.transport is None:
                    _, connection = await loop.create_connection(_Connection, host, port)
                ok = await asyncio.wait_for(connection.get(request), 30) == 200
            except (OSError, TimeoutError):
                ok, connection = False, None
            latencies.append(time.perf_counter() - start)
            errors += not ok
        if connection is not None and connection.transport is not None:
            connection.transport.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(index) for index in range(clients)))
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
    urls: str | Sequence[str],
    token: str,
    clients: int,
    requests: int,
    seconds: float,
    server_pid: int | None = None,
    scheme: str = "Bearer",
) -> dict[str, Any]:
    """``clients`` concurrent clients on ``urls`` (one host; client ``i`` starts at the ``i``-th ``clients``-th of
    the list and walks it round) until ``requests`` are sent or ``seconds`` pass; ``Authorization: <scheme>
    <token>``."""
    parsed = [httpx.URL(url) for url in ([urls] if isinstance(urls, str) else urls)]
    if len({(u.host, u.port) for u in parsed}) != 1:
        raise ValueError("load: every URL must name the same host and port")
    targets = [u.raw_path.decode() for u in parsed]
    host, port = parsed[0].host, parsed[0].port or 80
    load_before = os.getloadavg()[0]
    before = (_process_tree_cpu(server_pid) if server_pid else 0.0, time.process_time(), _machine_cpu())
    latencies, errors, wall = _run(_load(host, port, targets, f"{scheme} {token}", clients, requests, seconds))
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
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "server_cpu_us_per_request": round(server / max(len(latencies), 1) * 1e6, 1),
        "cpu": {
            "server": round(server / wall, 2),
            "generator": round(generator / wall, 2),
            "rest_of_machine": round(max(machine - server - generator, 0.0) / wall, 2),
        },
    }


def read_costs(stack_outputs: str | None, ids: Sequence[str], reads: int = 1000, rounds: int = 2) -> dict[str, Any]:
    """CPU and wall time per ``get_strategy`` of the storage layer alone, in this process, one read at a time over
    ``ids``: the synchronous backend (a transaction: ``BEGIN``, ``SELECT``, ``COMMIT``) and the async reads (one
    autocommit statement, on uvloop when installed), alternating, ``rounds`` × ``reads`` each; medians in µs."""
    from workloads.service.budgets import API_RETRY_SECONDS
    from workloads.storage.postgres import PostgresStorage
    from workloads.storage.postgres_async import AsyncPostgresReads

    url = load_settings(stack_outputs).database_url
    sync_storage = PostgresStorage(url, retry_seconds=API_RETRY_SECONDS)

    def sync_reads() -> tuple[float, float]:
        started = (time.process_time(), time.perf_counter())
        for index in range(reads):
            sync_storage.get_strategy(ids[index % len(ids)])
        return time.process_time() - started[0], time.perf_counter() - started[1]

    async def async_reads() -> tuple[float, float]:
        reader = AsyncPostgresReads(
            url, pool_size=1, pool_wait_seconds=1.5, statement_seconds=0.5, retry_seconds=API_RETRY_SECONDS
        )
        try:
            await reader.get_strategy(ids[0])
            started = (time.process_time(), time.perf_counter())
            for index in range(reads):
                await reader.get_strategy(ids[index % len(ids)])
            return time.process_time() - started[0], time.perf_counter() - started[1]
        finally:
            await reader.close()

    costs: dict[str, list[tuple[float, float]]] = {"sync": [], "async": []}
    try:
        sync_storage.get_strategy(ids[0])
        for _ in range(rounds):
            costs["sync"].append(sync_reads())
            costs["async"].append(_run(async_reads()))
    finally:
        sync_storage.close()
    return {
        name: {
            "cpu_us": round(float(np.median([cpu for cpu, _ in runs])) / reads * 1e6, 1),
            "wall_us": round(float(np.median([wall for _, wall in runs])) / reads * 1e6, 1),
        }
        for name, runs in costs.items()
    } | {"reads": reads, "rounds": rounds}


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def target_met(figures: dict[str, Any]) -> bool:
    """Whether uncached-route figures meet the target: no errors, at least :data:`UNCACHED_TARGET_REQ_PER_S` and a
    p99 below :data:`UNCACHED_TARGET_P99_MS`."""
    return bool(
        figures["errors"] == 0
        and figures["req_per_s"] >= UNCACHED_TARGET_REQ_PER_S
        and figures["p99_ms"] < UNCACHED_TARGET_P99_MS
    )


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians of the runs of one server (req/s, p50, p99, load average after), and whether the median run meets
    the target."""
    medians = {key: round(float(np.median([run[key] for run in runs])), 1) for key in ("req_per_s", "p50_ms", "p99_ms")}
    medians["errors"] = sum(run["errors"] for run in runs)
    medians["load_average"] = round(float(np.median([run["load_average"][1] for run in runs])), 2)
    return {**medians, "runs": len(runs), "met": target_met(medians)}


@dataclass(frozen=True)
class _Session:
    """What every load run of one benchmark shares: the token, clients, and the requests or seconds per run."""

    token: str
    clients: int
    requests: int
    seconds: float


def _cached_routes(session: _Session, port: int, symbol: str, server_pid: int) -> dict[str, Any]:
    """Each cached route after one timed warm-up request (the first signals request replays the history)."""
    base = f"http://127.0.0.1:{port}"
    cached = {"/v1/strategies": f"{base}/v1/strategies?limit=10", "/v1/signals": f"{base}/v1/signals/{symbol}"}
    results: dict[str, Any] = {}
    for name, url in cached.items():
        started = time.perf_counter()
        warm = httpx.get(url, headers={"Authorization": f"Bearer {session.token}"}, timeout=120)
        warm_ms = (time.perf_counter() - started) * 1000
        results[name] = {"warm_up_status": warm.status_code, "warm_up_ms": warm_ms}
        results[name] |= load(url, session.token, session.clients, session.requests, session.seconds, server_pid)
    return results


def _uncached_runs(
    session: _Session, servers: dict[str, Any], ports: dict[str, int], ids: list[str], rounds: int
) -> list[dict[str, Any]]:
    """The uncached route on each server, ``rounds`` times, the servers alternating (``before`` first)."""
    for label in servers:
        first = f"http://127.0.0.1:{ports[label]}/v1/strategies/{ids[0]}"
        httpx.get(first, headers={"Authorization": f"{CACHE_BYPASS_SCHEME} {session.token}"}, timeout=60)
    runs = []
    for round_number in range(1, rounds + 1):
        for label in ("before", "after"):
            if label not in servers:
                continue
            urls = [f"http://127.0.0.1:{ports[label]}/v1/strategies/{i}" for i in ids]
            figures = load(
                urls,
                session.token,
                session.clients,
                session.requests,
                session.seconds,
                servers[label].pid,
                scheme=CACHE_BYPASS_SCHEME,
            )
            runs.append({"server": label, "round": round_number, **figures, "met": target_met(figures)})
    return runs


def _uncached_result(
    ids: list[str], compare_with: str | None, costs: dict[str, Any] | None, uncached: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "route": UNCACHED_ROUTE,
        "ids": len(ids),
        "target": {"req_per_s": UNCACHED_TARGET_REQ_PER_S, "p99_ms": UNCACHED_TARGET_P99_MS},
        "compared_with": compare_with,
        "read_costs": costs,
        "runs": uncached,
        "summary": {
            label: summarise([run for run in uncached if run["server"] == label])
            for label in ("after", "before")
            if any(run["server"] == label for run in uncached)
        },
    }


def run_benchmark(
    *,
    symbol: str = "BENCH",
    bars: int = 1_000_000,
    strategies: int = 1000,
    clients: int = 50,
    requests: int = 200_000,
    seconds: float = 20.0,
    port: int = 8765,
    workers: int = 1,
    pin: bool = False,
    stack_outputs: str | None = None,
    routes: Sequence[str] = ROUTE_SETS,
    compare_with: str | None = None,
    rounds: int = 2,
) -> dict[str, Any]:
    """Measure the ``routes`` sets (:data:`ROUTE_SETS`) on this checkout's server, and the uncached route also on
    ``compare_with``'s (alternating, ``rounds`` each)."""
    unknown = set(routes) - set(ROUTE_SETS)
    if unknown or not routes:
        raise ValueError(f"routes {sorted(unknown) or 'none'}: expected some of {', '.join(ROUTE_SETS)}")
    ids = prepare(symbol, bars, strategies, stack_outputs)
    costs = read_costs(stack_outputs, ids) if "uncached" in routes else None
    token = secrets.token_urlsafe(16)
    pinned = pin and (os.cpu_count() or 1) > 1
    cpus = {SERVER_CPU} if pinned else None
    servers = {"after": start_server(port, token, stack_outputs, workers, cpus)}
    if compare_with is not None and "uncached" in routes:
        servers["before"] = start_server(port + 1, token, stack_outputs, workers, cpus, checkout=compare_with)
    ports = {"after": port, "before": port + 1}
    affinity = os.sched_getaffinity(0)
    if pinned:
        os.sched_setaffinity(0, {GENERATOR_CPU})
    results: dict[str, Any] = {}
    uncached: list[dict[str, Any]] = []
    session = _Session(token, clients, requests, seconds)
    try:
        if "cached" in routes:
            results = _cached_routes(session, port, symbol, servers["after"].pid)
        if "uncached" in routes:
            uncached = _uncached_runs(session, servers, ports, ids, rounds)
    finally:
        os.sched_setaffinity(0, affinity)
        for server in servers.values():
            _stop(server)
    result: dict[str, Any] = {
        "symbol": symbol,
        "stored_bars": bars,
        "clients": clients,
        "cpus": os.cpu_count(),
        "workers": workers,
        "pinned": pinned,
        "load_average": os.getloadavg()[0],
        "routes": results,
    }
    if "uncached" in routes:
        result["uncached"] = _uncached_result(ids, compare_with, costs, uncached)
    return result


def format_benchmark(result: dict[str, Any]) -> str:
    """The figures as text: one line per cached route, one per uncached run and its summary against the target."""
    lines = [
        f"{result['stored_bars']:,} stored bars of {result['symbol']}, {result['clients']} clients, "
        f"{result['cpus']} CPUs, {result['workers']} server worker(s)"
        f"{', server on CPU 0 and generator on CPU 1' if result['pinned'] else ''}, "
        f"load average {result['load_average']:.2f} at the end"
    ]
    for name, figures in result["routes"].items():
        cpu = figures["cpu"]
        lines.append(
            f"{name:16} {figures['req_per_s']:8.1f} req/s  p50 {figures['p50_ms']:7.1f} ms  "
            f"p99 {figures['p99_ms']:7.1f} ms  ({figures['requests']} requests, {figures['errors']} errors, "
            f"warm-up {figures['warm_up_ms']:.0f} ms; CPU cores: server {cpu['server']:.2f}, "
            f"generator {cpu['generator']:.2f}, rest {cpu['rest_of_machine']:.2f}; "
            f"load average {figures['load_average'][0]:.2f} → {figures['load_average'][1]:.2f})"
        )
    if "uncached" in result:
        block = result["uncached"]
        target = block["target"]
        goal = f"target ≥ {target['req_per_s']:,.0f} req/s with p99 < {target['p99_ms']:g} ms"
        lines.append(
            f"{block['route']} over {block['ids']:,} ids, answer cache bypassed, {goal}"
            + (f"; 'before' is the server of {block['compared_with']}" if block["compared_with"] else "")
        )
        for run in block["runs"]:
            cpu = run["cpu"]
            lines.append(
                f"  {run['server']:6} round {run['round']}: {run['req_per_s']:8.1f} req/s  p50 {run['p50_ms']:6.1f} ms"
                f"  p99 {run['p99_ms']:6.1f} ms  {run['errors']} errors  {'met' if run['met'] else 'not met'}"
                f"  (server {run['server_cpu_us_per_request']:.0f} µs CPU/request; CPU cores: server "
                f"{cpu['server']:.2f}, generator {cpu['generator']:.2f}, rest {cpu['rest_of_machine']:.2f}; "
                f"load average {run['load_average'][0]:.2f} → {run['load_average'][1]:.2f})"
            )
        costs = block["read_costs"]
        lines.append(
            f"  the read alone, one at a time ({costs['rounds']} × {costs['reads']:,} each, medians): synchronous "
            f"{costs['sync']['cpu_us']:.0f} µs CPU / {costs['sync']['wall_us']:.0f} µs wall, async "
            f"{costs['async']['cpu_us']:.0f} µs CPU / {costs['async']['wall_us']:.0f} µs wall per read"
        )
        for label, summary in block["summary"].items():
            lines.append(
                f"  {label:6} median of {summary['runs']}: {summary['req_per_s']:8.1f} req/s  "
                f"p50 {summary['p50_ms']:6.1f} ms  p99 {summary['p99_ms']:6.1f} ms: {goal}: "
                f"{'met' if summary['met'] else 'NOT met'} (load average {summary['load_average']:.2f})"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m workloads.bench.api", description=__doc__.split("\n\n")[0])
    parser.add_argument("--routes", default=",".join(ROUTE_SETS), help="comma-separated: cached, uncached")
    parser.add_argument("--symbol", default="BENCH")
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--strategies", type=int, default=1000, help="stored strategies: the uncached route's ids")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=200_000, help="per route and run")
    parser.add_argument("--seconds", type=float, default=20.0, help="per route and run")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=1, help="server processes (genepool serve --workers)")
    parser.add_argument("--pin", action="store_true", help="server on CPU 0, load generator on CPU 1")
    parser.add_argument("--compare-with", default=None, help="a checkout whose server is the uncached 'before'")
    parser.add_argument("--rounds", type=int, default=2, help="uncached runs per server, alternating")
    parser.add_argument("--stack-outputs", default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    try:
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
            routes=[name.strip() for name in args.routes.split(",") if name.strip()],
            compare_with=args.compare_with,
            rounds=args.rounds,
        )
    except ValueError as exc:
        raise SystemExit(f"error: {exc}") from None
    print(json.dumps(result, indent=2) if args.json else format_benchmark(result))


if __name__ == "__main__":
    main()
