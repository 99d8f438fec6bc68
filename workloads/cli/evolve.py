"""``genepool evolve`` (run or resume an evolution) and ``genepool report`` (the run's self-contained HTML report).

Configuration precedence: built-in defaults (docs/evolution.md#configuration) < ``--config FILE`` (YAML/JSON, keys
as in ``EvolutionConfig``) < ``--set KEY=VALUE`` (any key) < the named command-line options. Runs live under
``--runs-dir`` (default ``$GENEPOOL_HOME/runs``):
``<run_id>/checkpoints/`` (one per generation) and ``<run_id>/run.json`` (the summary, written at the end).

``evolve`` reads as options → request (:func:`_request`: the configuration and what to run) → run
(:func:`_run`: :func:`workloads.evolution.run.run_evolution` with its observers: the stop tracker, the database
record, the progress line, the Prometheus metrics) → print (:func:`_print_result`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.progress import TaskID

from workloads.cli.common import bad_input_exits, console, error_console, print_json
from workloads.cli.layout import print_hall_of_fame
from workloads.cli.progress import COMPILING_NOTE, evolution_progress, generation_info, starting_info
from workloads.cli.state import StackOutputs, settings_from
from workloads.settings import default_runs_dir

if TYPE_CHECKING:
    from workloads.cache.base import FitnessCache
    from workloads.data.bars import Bars
    from workloads.evolution.checkpoints import CheckpointStore
    from workloads.evolution.config import EvolutionConfig
    from workloads.evolution.observers import RunObserver
    from workloads.evolution.plan import Plan
    from workloads.evolution.recorder import RunRecorder
    from workloads.evolution.records import GenerationStats, RunSummary
    from workloads.evolution.shutdown import Stopped
    from workloads.evolution.state import PoolState
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


def _report_stop(stop: Stopped, tracker: _RunTracker) -> None:
    """One line on stderr: which signal stopped the run, the generation its checkpoint holds, how to resume."""
    run_id = tracker.run_id
    if run_id is None:
        error_console.print(f"[bold yellow]stopped[/] by {stop.signal_name} before the run started", highlight=False)
        return
    latest: int | None = None
    with contextlib.suppress(Exception):  # storage unreachable: the last generation the run reported instead
        latest = _latest_checkpoint(tracker, run_id)
    if latest is None:
        latest = tracker.generation
    kept = "none" if latest is None else ("the initial state" if latest < 0 else f"generation {latest}")
    error_console.print(
        f"[bold yellow]stopped[/] by {stop.signal_name}: run {run_id}, checkpoint of {kept} kept; resume with "
        f"`genepool evolve --resume {run_id}` and the same options",
        highlight=False,
        soft_wrap=True,
    )


def _latest_checkpoint(tracker: _RunTracker, run_id: str) -> int | None:
    """The generation of the run's latest checkpoint: from the runs directory, or through a new connection to the
    database (the run's own was closed as the stop unwound)."""
    from workloads.storage import open_storage

    if tracker.checkpoints is not None:
        latest = tracker.checkpoints.load_latest(run_id)
    else:
        if tracker.settings is None:
            return None
        with open_storage(tracker.settings, migrate=False) as storage:
            latest = storage.load_checkpoint(run_id)
    return None if latest is None else latest[0]


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


SetOption = Annotated[
    list[str] | None,
    Opt("--set", help="Any config key, KEY=VALUE (repeatable), e.g. --set tournament=4 --set max_drawdown=0.3."),
]
CheckpointsOption = Annotated[str, Opt("--checkpoints", help="Where checkpoints go: local (runs dir) or database.")]
DatabaseWaitOption = Annotated[
    float,
    Opt(
        "--database-wait",
        min=1,
        help="Seconds each database write of the run retries an unreachable PostgreSQL before the run stops "
        "(resumable from its last checkpoint).",
    ),
]
MetricsPortOption = Annotated[
    int | None, Opt("--metrics-port", min=1, max=65535, help="Serve Prometheus metrics on this port during the run.")
]
UntilOption = Annotated[
    str | None,
    Opt(
        "--until",
        help="Use only the bars that open before this UTC time (ISO 8601, e.g. 2026-12-01T04:00Z): "
        "a scheduled slot's start.",
    ),
]
CONFIG_OPTIONS = (
    "population",
    "generations",
    "mutation",
    "crossover",
    "elite",
    "holdout",
    "segments",
    "min_trades",
    "fee_bps",
    "slippage_bps",
    "long_only",
    "hall_of_fame",
    "random_seed",
)
"""The named options of ``genepool evolve`` that set an ``EvolutionConfig`` key of the same name."""


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
    settings_: SetOption = None,
    backend: Annotated[str, Opt("--backend", help="local (Numba threads) or ray (actor pool).")] = "local",
    workers: Annotated[int | None, Opt("--workers", min=1, help="Ray actors [2].")] = None,
    run_id: Annotated[str | None, Opt("--run-id", help="Name of the run (default: generated).")] = None,
    resume: Annotated[str | None, Opt("--resume", help="Continue the run with this id from its checkpoint.")] = None,
    runs_dir: Annotated[Path | None, Opt("--runs-dir", help="Where runs are kept [$GENEPOOL_HOME/runs].")] = None,
    report: Annotated[Path | None, Opt("--report", help="Also write the HTML report to this file.")] = None,
    store: Annotated[bool, Opt("--store/--no-store", help="Record the run and hall of fame in the database.")] = True,
    checkpoints: CheckpointsOption = "local",
    as_json: Annotated[bool, Opt("--json", help="Print the machine-readable summary only.")] = False,
    database_wait: DatabaseWaitOption = DATABASE_WAIT_SECONDS,
    metrics_port: MetricsPortOption = None,
    until: UntilOption = None,
    stack_outputs: StackOutputs = None,
) -> None:
    """Evolve strategies from every ready seed; print the hall of fame (train, holdout, DSR).

    SIGTERM or SIGINT stops the run cleanly (workers stopped, shared memory released, the last generation's
    checkpoint kept) and exits 143 or 130; the message says how to resume. An unreachable PostgreSQL is waited for
    (--database-wait seconds per write) and the run continues where it was; a longer outage ends the run with
    one line naming the database and how to resume, exit status 1."""
    overrides = {key: value for key, value in locals().items() if key in CONFIG_OPTIONS}
    from workloads.evolution.shutdown import Stopped, stop_on_signals

    runs = runs_dir or default_runs_dir()
    tracker = _RunTracker()
    try:
        with stop_on_signals():
            with bad_input_exits():
                request = _request(
                    config_file, settings_ or [], overrides, strategies, until, run_id, resume, checkpoints, store
                )
                settings = settings_from(stack_outputs)
                bars = _load_data(data, synthetic, symbol, request.config.random_seed, settings, request.cut_off)
                target = _RunTarget(runs, backend, workers, store, database_wait, metrics_port, as_json)
                result, cache = _run(request, target, bars, settings, tracker)
            _print_result(result, cache, runs, report, as_json)
    except Stopped as stop:
        _report_stop(stop, tracker)
        raise typer.Exit(stop.exit_code) from None


@dataclass(frozen=True)
class _Request:
    """What to evolve, from the options: the configuration, the keys the caller set explicitly (``requested``,
    checked against a resumed run's), the seeds (``None``: every ready one), the data cut-off (ns, ``--until``),
    the run to start or resume, and where its checkpoints go (``local`` or ``database``)."""

    config: EvolutionConfig
    requested: dict[str, Any]
    strategies: list[str] | None
    cut_off: int | None
    run_id: str | None
    resume: bool
    checkpoints: str


@dataclass(frozen=True)
class _RunTarget:
    """Where and how the run goes: runs directory, backend and its workers, the database record (``store``, each
    write retried ``database_wait`` seconds), the metrics port, and whether the output is JSON only."""

    runs: Path
    backend: str
    workers: int | None
    store: bool
    database_wait: float
    metrics_port: int | None
    as_json: bool


def _request(
    config_file: Path | None,
    sets: list[str],
    overrides: dict[str, Any],
    strategies: str | None,
    until: str | None,
    run_id: str | None,
    resume: str | None,
    checkpoints: str,
    store: bool,
) -> _Request:
    """Options → request, in the precedence of the module doc; a bad option is a ``ValueError`` naming it."""
    from workloads.evolution.config import EvolutionConfig, load_config_file
    from workloads.storage.base import check_run_id

    config = load_config_file(config_file) if config_file else EvolutionConfig()
    requested = config.as_dict() if config_file else {}
    parsed = _parse_sets(sets)
    config = config.with_overrides(parsed, source="--set").with_overrides(overrides, source="command line")
    requested.update(parsed)
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
    return _Request(config, requested, names, cut_off, resume or run_id, bool(resume), checkpoints)


def _run(
    request: _Request, target: _RunTarget, bars: Bars, settings: Settings, tracker: _RunTracker
) -> tuple[RunSummary, FitnessCache]:
    """Run the evolution with its observers (the stop tracker, the database record, the progress line, the
    metrics); an evaluation or database failure ends it with one line and exit status 1."""
    from workloads.cache.redis import make_cache
    from workloads.evolution.checkpoints import LocalDirectoryCheckpoints
    from workloads.evolution.observers import PrometheusMetrics
    from workloads.evolution.pool import EvaluationError
    from workloads.evolution.run import run_evolution
    from workloads.storage import StorageError

    cache = make_cache(settings)
    if target.metrics_port is not None:
        _serve_metrics(target.metrics_port)
    recorder = _recorder(settings, target, bars, cache) if target.store else None
    checkpoint_store = recorder.checkpoints if recorder and request.checkpoints == "database" else None
    tracker.settings = settings
    tracker.checkpoints = None if checkpoint_store else LocalDirectoryCheckpoints(target.runs)
    progress = _Progress(target.as_json)
    observers: list[RunObserver] = [tracker, *([recorder] if recorder else []), progress, PrometheusMetrics()]
    try:
        result = run_evolution(
            bars,
            request.config,
            runs_dir=target.runs,
            run_id=request.run_id,
            resume=request.resume,
            strategies=request.strategies,
            backend=target.backend,
            workers=target.workers,
            cache=cache,
            checkpoints=checkpoint_store,
            observers=observers,
            requested=request.requested,
        )
    except (EvaluationError, StorageError) as exc:
        message = " ".join(str(exc).split())
        if isinstance(exc, StorageError) and recorder is not None:
            message = f"database {recorder.storage.url} unavailable: {message}"
        resume_hint = f"resume with `genepool evolve --resume {tracker.run_id or 'RUN_ID'}` and the same options"
        error_console.print(f"[bold red]error:[/] {escape(message)}; {resume_hint}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    finally:
        progress.stop()
        if recorder is not None:
            recorder.storage.close()
    return result, cache


def _recorder(settings: Settings, target: _RunTarget, bars: Bars, cache: FitnessCache) -> RunRecorder:
    """The database record of the run (its strategies tagged with the symbol; on Redis's leaderboard too)."""
    from workloads.cache.redis import RedisCache
    from workloads.evolution.recorder import RunRecorder
    from workloads.storage import open_storage

    return RunRecorder(
        open_storage(settings, retry_seconds=target.database_wait),
        symbol=bars.symbol or None,
        leaderboard=cache if isinstance(cache, RedisCache) else None,
    )


def _print_result(result: RunSummary, cache: FitnessCache, runs: Path, report: Path | None, as_json: bool) -> None:
    """The summary as JSON (``--json``), or the hall of fame and one line on the run and the cache; the HTML
    report first when asked for."""
    from workloads.evolution.run import load_run_file

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


@dataclass
class _RunTracker:
    """A run observer (:class:`~workloads.evolution.observers.RunObserver`) keeping what a stop needs to say where
    the run is: its id once started, the last generation checkpointed, and where its checkpoints are
    (``checkpoints``; ``None``: in the database of ``settings``, settings or a ``database_url``)."""

    run_id: str | None = None
    generation: int | None = None
    settings: Settings | str | None = None
    checkpoints: CheckpointStore | None = None

    def on_start(self, state: PoolState, plan: Plan) -> None:
        self.run_id = state.run_id

    def on_generation(self, state: PoolState, stats: GenerationStats) -> None:
        self.generation = stats.generation  # its checkpoint is saved

    def on_run_end(self, summary: RunSummary) -> None:
        """Nothing to keep: the run is over."""


class _Progress:
    """A run observer (:class:`~workloads.evolution.observers.RunObserver`) showing the progress line on stderr
    (:mod:`workloads.cli.progress`), the cold-cache note and the skipped seeds (neither with ``--json``)."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.progress = evolution_progress(error_console, disable=as_json)
        self.task: TaskID | None = None

    def on_start(self, state: PoolState, plan: Plan) -> None:
        from workloads.kernels import kernels_cached

        self.progress.start()
        cold = not kernels_cached()
        if cold and not self.as_json:
            error_console.print(COMPILING_NOTE, highlight=False, markup=False, soft_wrap=True)
        self.task = self.progress.add_task(
            "evolving", total=state.config.generations, completed=state.generation + 1, **starting_info(cold)
        )
        if plan.skipped and not self.as_json:
            for name, why in plan.skipped.items():
                error_console.print(f"[yellow]skipped[/] {name}: {why}")

    def on_generation(self, state: PoolState, stats: GenerationStats) -> None:
        if self.task is None:
            return
        leaders = {name: seed.best for name, seed in stats.seeds.items()}
        self.progress.update(self.task, advance=1, **generation_info(stats.evaluations, stats.seconds, leaders))

    def on_run_end(self, summary: RunSummary) -> None:
        """The hall of fame follows on stdout: nothing more on the progress line."""

    def stop(self) -> None:
        self.progress.stop()


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
