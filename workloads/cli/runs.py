"""``genepool runs list|show|compare``: browse the finished runs of the state home (docs/cli.md#browsing-runs).

Runs are read from ``--runs-dir`` (default ``<state home>/runs``, docs/cli.md#where-state-lives); ``latest`` stands
for the newest finished run wherever a run id is accepted. These commands only read: they create nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from workloads.cli.common import bad_input_exits, console, error_console, print_json
from workloads.cli.layout import format_metric, print_hall_of_fame, print_lines, print_records
from workloads.settings import default_runs_dir

if TYPE_CHECKING:
    from workloads.evolution.catalog import RunRecord

app = typer.Typer(help="Browse finished evolution runs: list, show one, compare several.", no_args_is_help=True)

RunsDirOption = Annotated[
    Path | None, typer.Option("--runs-dir", help="Where runs are kept [default: the state home's runs/].")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
RUN_ID_HELP = "A run id, or latest (the newest finished run)."


def runs_directory(runs_dir: Path | None) -> Path:
    """``--runs-dir`` or ``<state home>/runs``."""
    return runs_dir if runs_dir is not None else default_runs_dir()


def resolve(runs_dir: Path | None, name: str) -> str:
    """The run id ``name`` (an id or ``latest``) stands for; bad names exit 2 saying where it looked."""
    from workloads.evolution.catalog import resolve_run_id

    with bad_input_exits():
        return resolve_run_id(runs_directory(runs_dir), name)


def load(runs_dir: Path | None, name: str) -> dict[str, Any]:
    """The ``run.json`` document of ``name`` (an id or ``latest``); bad names exit 2."""
    from workloads.evolution.catalog import load_run

    with bad_input_exits():
        return load_run(runs_directory(runs_dir), name)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s" if minutes else f"{seconds:.1f}s"


def _best(record: RunRecord) -> str:
    if record.best_strategy is None:
        return "—"
    return (
        f"{record.best_strategy} (holdout SR {format_metric('sharpe', record.best_holdout_sharpe)}, "
        f"ret {format_metric('total_return', record.best_holdout_return)})"
    )


def _cells(record: RunRecord) -> list[str]:
    return [
        record.run_id,
        record.finished_at,
        f"{record.data} ({record.bars:,} bars)",
        record.data_fingerprint,
        f"{len(record.seeds)} seeds, random seed {record.random_seed}",
        _best(record),
        str(record.promoted),
        _duration(record.duration_seconds),
    ]


COLUMNS = ("run", "finished", "data", "data hash", "seeds", "best (#1)", "promoted", "duration")


@app.command("list")
def list_command(
    runs_dir: RunsDirOption = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Show at most this many, newest first.")] = 20,
    json_output: JsonOption = False,
) -> None:
    """The finished runs, newest first: id, date, data and its hash, seeds, the best entry, promoted count,
    duration."""
    from workloads.evolution.catalog import list_runs

    directory = runs_directory(runs_dir)
    with bad_input_exits():
        records = [record for record, _ in list_runs(directory)][:limit]
    if not records:
        error_console.print(f"no finished runs under {directory} yet", highlight=False, markup=False, soft_wrap=True)
    if json_output:
        print_json([record.as_dict() for record in records])
        return
    if not records:
        return
    print_records(console, f"runs under {directory}", COLUMNS, [_cells(record) for record in records])


@app.command("show")
def show_command(
    run_id: Annotated[str, typer.Argument(help=RUN_ID_HELP)],
    runs_dir: RunsDirOption = None,
    json_output: JsonOption = False,
) -> None:
    """One run: its data, configuration, the hall of fame with every verdict and the seeds it refused."""
    from workloads.evolution.catalog import record, run_file

    directory = runs_directory(runs_dir)
    document = load(runs_dir, run_id)
    summary = record(document, run_file(directory, document["run_id"]))
    if json_output:
        print_json({"run": summary.as_dict(), **{k: v for k, v in document.items() if k != "report"}})
        return
    config = document.get("config") or {}
    print_records(console, f"run {summary.run_id}", COLUMNS, [_cells(summary)])
    costs = f"fees {config.get('fee_bps')} bps, slippage {config.get('slippage_bps')} bps"
    print_lines(
        console,
        [
            f"configuration: population {config.get('population')}, generations {config.get('generations')}, "
            f"holdout {config.get('holdout')}, segments {config.get('segments')}, {costs}",
            *(f"skipped {name}: {why}" for name, why in (document.get("skipped") or {}).items()),
        ],
    )
    print_hall_of_fame(console, document)


@app.command("compare")
def compare_command(
    run_ids: Annotated[list[str], typer.Argument(help="Two or more run ids (or latest).")],
    runs_dir: RunsDirOption = None,
    json_output: JsonOption = False,
) -> None:
    """Runs side by side: data (and whether it is the same), configuration keys that differ, trials, the best
    entry, promoted count, duration."""
    from workloads.evolution.catalog import config_differences, record, run_file

    if len(run_ids) < 2:
        with bad_input_exits():
            raise ValueError(f"runs compare: give two or more run ids, got {len(run_ids)}")
    directory = runs_directory(runs_dir)
    documents = [load(runs_dir, name) for name in run_ids]
    records = [record(document, run_file(directory, document["run_id"])) for document in documents]
    differences = config_differences(documents)
    same_data = len({r.data_fingerprint for r in records}) == 1
    if json_output:
        print_json(
            {
                "runs": [r.as_dict() for r in records],
                "same_data": same_data,
                "config_differences": differences,
            }
        )
        return
    print_records(console, "runs compared", COLUMNS, [_cells(r) for r in records])
    lines = [f"same data: {'yes' if same_data else 'no'}"]
    if differences:
        lines.append("configuration differences:")
        lines.extend(f"    {key}: {' | '.join(map(str, values))}" for key, values in differences.items())
    else:
        lines.append("configuration: identical")
    lines.extend(f"verdict of {r.run_id}: {r.verdict}" for r in records)
    print_lines(console, lines)
