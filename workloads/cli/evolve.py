"""``genepool evolve`` (run or resume an evolution) and ``genepool report`` (the run's self-contained HTML report).

Configuration precedence: built-in defaults (docs/evolution.md#configuration) < ``--config FILE`` (YAML/JSON, keys
as in ``EvolutionConfig``) < ``--set KEY=VALUE`` (any key) < the named command-line options. Runs live under
``--runs-dir`` (default ``$GENEPOOL_HOME/runs``):
``<run_id>/checkpoints/`` (one per generation) and ``<run_id>/run.json`` (the summary, written at the end).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from workloads.cli.common import bad_input_exits, console, error_console, print_json
from workloads.cli.layout import print_hall_of_fame
from workloads.cli.progress import COMPILING_NOTE, evolution_progress, generation_info, starting_info
from workloads.cli.state import StackOutputs, settings_from
from workloads.settings import default_runs_dir

if TYPE_CHECKING:
    from workloads.data.bars import Bars
    from workloads.evolution.pool import GenerationReport, PoolState
    from workloads.evolution.run import Plan
    from workloads.evolution.shutdown import Stopped
    from workloads.settings import Settings

log = logging.getLogger(__name__)


def _serve_metrics(port: int) -> None:
    """Serve Prometheus metrics on ``port`` for the run; a port already in use (e.g. another driver on the same
    Ray head) costs only the scrape of this run, so it is logged once as a warning and the run goes on."""
    from prometheus_client import start_http_server

    try:
        start_http_server(port)
    except OSError as exc:
        log.warning("metrics: cannot serve on port %d (%s); the run continues without a metrics endpoint", port, exc)


Opt = typer.Option

DATABASE_WAIT_SECONDS = 120.0
"""Default of ``--database-wait``: how long each database call of a run (a checkpoint, a generation's record)
retries an unreachable PostgreSQL before the run stops, resumable from its last checkpoint. Long enough for a
server restart or a managed database's failover (one to two minutes), short enough that a database that is gone
fails the run within a few minutes instead of holding its Ray workers for the rest of the slot."""


def _load_data(
    data: Path | None,
    synthetic: int | None,
    symbol: str | None,
    random_seed: int,
    settings: Settings,
    cut_off: int | None = None,
) -> Bars:
    """The bars of the one source given; with ``cut_off`` (ns since the epoch) only those that open before it."""
    import numpy as np

    bars = _read_source(data, synthetic, symbol, random_seed, settings)
    if cut_off is None:
        return bars
    kept = int(np.searchsorted(bars.timestamp, cut_off, side="left"))
    if kept == 0:
        raise ValueError(f"--until: no bar opens before {_iso(cut_off)} (the first opens at {_iso(bars.timestamp[0])})")
    return bars.slice(0, kept)


def _parse_until(text: str) -> int:
    """``--until`` (ISO 8601; a time without an offset is UTC) → ns since the epoch."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"--until {text!r}: expected an ISO 8601 time such as 2026-12-01T04:00Z") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1_000


def _iso(timestamp_ns: int) -> str:
    return datetime.fromtimestamp(int(timestamp_ns) / 1e9, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _report_stop(stop: Stopped, stopped_at: dict[str, Any]) -> None:
    """One line on stderr: which signal stopped the run, the generation its checkpoint holds, how to resume."""
    run_id = stopped_at.get("run_id")
    if run_id is None:
        error_console.print(f"[bold yellow]stopped[/] by {stop.signal_name} before the run started", highlight=False)
        return
    latest = None
    with contextlib.suppress(Exception):  # storage unreachable: the last generation the run reported instead
        latest = _latest_checkpoint(stopped_at, run_id)
    if latest is None and "generation" in stopped_at:
        latest = (stopped_at["generation"], b"")
    kept = "none" if latest is None else ("the initial state" if latest[0] < 0 else f"generation {latest[0]}")
    error_console.print(
        f"[bold yellow]stopped[/] by {stop.signal_name}: run {run_id}, checkpoint of {kept} kept; resume with "
        f"`genepool evolve --resume {run_id}` and the same options",
        highlight=False,
        soft_wrap=True,
    )


def _latest_checkpoint(stopped_at: dict[str, Any], run_id: str) -> tuple[int, bytes] | None:
    """The run's latest checkpoint: from the runs directory, or through a new connection to the database (the run's
    own was closed as the stop unwound)."""
    from workloads.storage import open_storage

    if stopped_at["checkpoints"] is not None:
        latest: tuple[int, bytes] | None = stopped_at["checkpoints"].load_latest(run_id)
        return latest
    with open_storage(stopped_at["settings"], migrate=False) as storage:
        return storage.load_checkpoint(run_id)


def _read_source(
    data: Path | None, synthetic: int | None, symbol: str | None, random_seed: int, settings: Settings
) -> Bars:
    from workloads.data.loaders import load_bars
    from workloads.data.synthetic import generate
    from workloads.storage import open_storage

    if sum(source is not None for source in (data, synthetic, symbol)) != 1:
        raise ValueError("give exactly one of --data FILE, --synthetic N_BARS or --symbol S (bars in the database)")
    if symbol is not None:
        with open_storage(settings) as storage:
            return storage.get_bars(symbol)
    if synthetic is not None:
        if synthetic < 100:
            raise ValueError(f"--synthetic {synthetic}: must be at least 100 bars")
        return generate(synthetic, random_seed, funding=True)
    assert data is not None  # exactly one source, checked above
    bars = load_bars(data)
    # The run records where its data came from as an absolute path: `backtest --run` re-reads it from anywhere.
    return dataclasses.replace(bars, source=str(data.resolve()))


def evolve(
    data: Annotated[Path | None, Opt("--data", help="Bars file (CSV or Parquet).")] = None,
    symbol: Annotated[str | None, Opt("--symbol", help="Use the bars stored for this symbol (data import).")] = None,
    synthetic: Annotated[int | None, Opt("--synthetic", help="Use N generated bars (with funding) instead.")] = None,
    config_file: Annotated[Path | None, Opt("--config", help="YAML/JSON file of evolution settings.")] = None,
    strategies: Annotated[str | None, Opt("--strategies", help="Comma-separated seeds (default: all ready).")] = None,
    population: Annotated[int | None, Opt("--population", help="Individuals per seed per generation [50].")] = None,
    generations: Annotated[int | None, Opt("--generations", help="Generations, the initial one included [10].")] = None,
    mutation: Annotated[float | None, Opt("--mutation", help="Per-gene mutation probability [0.1].")] = None,
    crossover: Annotated[float | None, Opt("--crossover", help="Per-pair crossover probability [0.8].")] = None,
    elite: Annotated[float | None, Opt("--elite", help="Elite fraction kept unchanged [0.2].")] = None,
    holdout: Annotated[float | None, Opt("--holdout", help="Last fraction of bars never searched [0.3].")] = None,
    segments: Annotated[int | None, Opt("--segments", help="Walk-forward segments of the training span [3].")] = None,
    min_trades: Annotated[int | None, Opt("--min-trades", help="Entries wanted per segment [3].")] = None,
    fee_bps: Annotated[float | None, Opt("--fee-bps", help="Fee per fill, basis points of notional [10].")] = None,
    slippage_bps: Annotated[float | None, Opt("--slippage-bps", help="Slippage, basis points [5].")] = None,
    long_only: Annotated[bool | None, Opt("--long-only/--long-short", help="Forbid shorts.")] = None,
    hall_of_fame: Annotated[int | None, Opt("--hall-of-fame", help="Entries kept across seeds [10].")] = None,
    random_seed: Annotated[int | None, Opt("--random-seed", help="Root of every random draw [0].")] = None,
    settings_: Annotated[
        list[str] | None,
        Opt("--set", help="Any config key, KEY=VALUE (repeatable), e.g. --set tournament=4 --set max_drawdown=0.3."),
    ] = None,
    backend: Annotated[str, Opt("--backend", help="local (Numba threads) or ray (actor pool).")] = "local",
    workers: Annotated[int | None, Opt("--workers", min=1, help="Ray actors [2].")] = None,
    run_id: Annotated[str | None, Opt("--run-id", help="Name of the run (default: generated).")] = None,
    resume: Annotated[str | None, Opt("--resume", help="Continue the run with this id from its checkpoint.")] = None,
    runs_dir: Annotated[Path | None, Opt("--runs-dir", help="Where runs are kept [$GENEPOOL_HOME/runs].")] = None,
    report: Annotated[Path | None, Opt("--report", help="Also write the HTML report to this file.")] = None,
    store: Annotated[bool, Opt("--store/--no-store", help="Record the run and hall of fame in the database.")] = True,
    checkpoints: Annotated[
        str, Opt("--checkpoints", help="Where checkpoints go: local (runs dir) or database.")
    ] = "local",
    as_json: Annotated[bool, Opt("--json", help="Print the machine-readable summary only.")] = False,
    database_wait: Annotated[
        float,
        Opt(
            "--database-wait",
            min=1,
            help="Seconds each database write of the run retries an unreachable PostgreSQL before the run stops "
            "(resumable from its last checkpoint).",
        ),
    ] = DATABASE_WAIT_SECONDS,
    metrics_port: Annotated[
        int | None,
        Opt("--metrics-port", min=1, max=65535, help="Serve Prometheus metrics on this port during the run."),
    ] = None,
    until: Annotated[
        str | None,
        Opt(
            "--until",
            help="Use only the bars that open before this UTC time (ISO 8601, e.g. 2026-12-01T04:00Z): "
            "a scheduled slot's start.",
        ),
    ] = None,
    stack_outputs: StackOutputs = None,
) -> None:
    """Evolve strategies from every ready seed; print the hall of fame (train, holdout, DSR).

    SIGTERM or SIGINT stops the run cleanly (workers stopped, shared memory released, the last generation's
    checkpoint kept) and exits 143 or 130; the message says how to resume. An unreachable PostgreSQL is waited for
    (--database-wait seconds per write) and the run continues where it was; a longer outage ends the run with
    one line naming the database and how to resume, exit status 1."""
    from workloads.cache.redis import RedisCache, make_cache
    from workloads.evolution.checkpoints import LocalDirectoryCheckpoints
    from workloads.evolution.config import EvolutionConfig, load_config_file
    from workloads.evolution.pool import EvaluationError
    from workloads.evolution.run import load_run_file, run_evolution
    from workloads.evolution.shutdown import Stopped, stop_on_signals
    from workloads.kernels import kernels_cached
    from workloads.storage import StorageError, open_storage
    from workloads.storage.base import check_run_id
    from workloads.storage.runs import RunRecorder

    overrides: dict[str, Any] = {
        "population": population,
        "generations": generations,
        "mutation": mutation,
        "crossover": crossover,
        "elite": elite,
        "holdout": holdout,
        "segments": segments,
        "min_trades": min_trades,
        "fee_bps": fee_bps,
        "slippage_bps": slippage_bps,
        "long_only": long_only,
        "hall_of_fame": hall_of_fame,
        "random_seed": random_seed,
    }
    stopped_at: dict[str, Any] = {}
    try:
        with stop_on_signals():
            runs = runs_dir or default_runs_dir()
            with bad_input_exits():
                config = load_config_file(config_file) if config_file else EvolutionConfig()
                requested = config.as_dict() if config_file else {}
                sets = _parse_sets(settings_ or [])
                config = config.with_overrides(sets, source="--set")
                config = config.with_overrides(overrides, source="command line")
                requested.update(sets)
                requested.update({key: value for key, value in overrides.items() if value is not None})
                cut_off = _parse_until(until) if until is not None else None
                for given in (run_id, resume):
                    if given is not None:
                        check_run_id(given)
                if resume and run_id and resume != run_id:
                    raise ValueError(f"--resume {resume} and --run-id {run_id} name different runs")
                names = [s.strip() for s in strategies.split(",") if s.strip()] if strategies is not None else None
                if names == []:
                    raise ValueError(f"--strategies {strategies!r}: names no seed; give comma-separated seed names")
                if checkpoints not in ("local", "database"):
                    raise ValueError(f"--checkpoints {checkpoints!r}: must be local or database")
                if checkpoints == "database" and not store:
                    raise ValueError("--checkpoints database needs the database (drop --no-store)")
                settings = settings_from(stack_outputs)
                bars = _load_data(data, synthetic, symbol, config.random_seed, settings, cut_off)
                cache = make_cache(settings)
                if metrics_port is not None:
                    _serve_metrics(metrics_port)
                recorder = (
                    RunRecorder(
                        open_storage(settings, retry_seconds=database_wait),
                        symbol=bars.symbol or None,
                        leaderboard=cache if isinstance(cache, RedisCache) else None,
                    )
                    if store
                    else None
                )
                checkpoint_store = recorder.checkpoints if recorder and checkpoints == "database" else None
                stopped_at["settings"] = settings
                stopped_at["checkpoints"] = None if checkpoint_store else LocalDirectoryCheckpoints(runs)
                progress = evolution_progress(error_console, disable=as_json)
                task: dict[str, Any] = {}

                def on_start(state: PoolState, plan: Plan) -> None:
                    task["run_id"] = stopped_at["run_id"] = state.run_id
                    if recorder is not None:
                        recorder.on_start(state, plan)
                    progress.start()
                    cold = not kernels_cached()
                    if cold and not as_json:
                        error_console.print(COMPILING_NOTE, highlight=False, markup=False, soft_wrap=True)
                    task["id"] = progress.add_task(
                        "evolving",
                        total=state.config.generations,
                        completed=state.generation + 1,
                        **starting_info(cold),
                    )
                    task["started"] = time.perf_counter()
                    if plan.skipped and not as_json:
                        for name, why in plan.skipped.items():
                            error_console.print(f"[yellow]skipped[/] {name}: {why}")

                def on_generation(report: GenerationReport) -> None:
                    stopped_at["generation"] = report.generation  # its checkpoint is saved
                    stats = report.stats
                    leaders = {name: seed.best for name, seed in stats.seeds.items()}
                    progress.update(task["id"], advance=1, **generation_info(stats.evaluations, stats.seconds, leaders))
                    if recorder is not None:
                        recorder.on_generation(report)

                try:
                    result = run_evolution(
                        bars,
                        config,
                        runs_dir=runs,
                        run_id=resume or run_id,
                        resume=bool(resume),
                        strategies=names,
                        backend=backend,
                        workers=workers,
                        cache=cache,
                        checkpoints=checkpoint_store,
                        on_start=on_start,
                        on_generation=on_generation,
                        requested=requested,
                    )
                    if recorder is not None:
                        recorder.finish(result)
                except (EvaluationError, StorageError) as exc:
                    resume_hint = (
                        f"resume with `genepool evolve --resume {task.get('run_id', 'RUN_ID')}` and the same options"
                    )
                    message = " ".join(str(exc).split())
                    if isinstance(exc, StorageError) and recorder is not None:
                        message = f"database {recorder.storage.url} unavailable: {message}"
                    error_console.print(
                        f"[bold red]error:[/] {escape(message)}; {resume_hint}", highlight=False, soft_wrap=True
                    )
                    raise typer.Exit(1) from None
                finally:
                    progress.stop()
                    if recorder is not None:
                        recorder.storage.close()
            summary = result.as_json()
            if report is not None:
                from workloads.tearsheet.report import write_report

                write_report(load_run_file(runs, summary["run_id"]), report)
            summary["cache"] = cache.stats.as_dict()
            if as_json:
                print_json(summary)
                return
            print_hall_of_fame(console, summary)
            console.print(
                f"run [bold]{summary['run_id']}[/] — {summary['trials']} distinct genomes, "
                f"{summary['backend']['seconds']:.1f}s on {summary['backend']['name']}; saved under {runs}"
            )
            console.print("fitness cache: {hits} hits, {misses} misses, {errors} errors".format(**summary["cache"]))
            if report is not None:
                console.print(f"report written to {report}")
    except Stopped as stop:
        _report_stop(stop, stopped_at)
        raise typer.Exit(stop.exit_code) from None


def _parse_sets(items: list[str]) -> dict[str, Any]:
    """``["key=value", …]`` → ``{key: value}`` with YAML scalars (numbers, true/false, null)."""
    import yaml

    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--set {item!r}: expected KEY=VALUE")
        try:
            out[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError:
            raise ValueError(f"--set {item!r}: the value is not a valid scalar") from None
    return out


def report(
    run_id: Annotated[str, typer.Argument(help="The run to report on: a run id, or latest (the newest finished run).")],
    out: Annotated[Path, Opt("--out", help="HTML file to write.")] = Path("report.html"),
    runs_dir: Annotated[Path | None, Opt("--runs-dir", help="Where runs are kept [$GENEPOOL_HOME/runs].")] = None,
) -> None:
    """Write one self-contained HTML report: the verdict, the hall of fame and the tear sheet of the top strategies
    (docs/report.md)."""
    from workloads.cli.runs import load
    from workloads.tearsheet.report import write_report

    run = load(runs_dir, run_id)
    with bad_input_exits():
        write_report(run, out)
    console.print(f"report for {run['run_id']} written to {out}", highlight=False, markup=False, soft_wrap=True)
