"""``genepool schedule submit``: what each evolution CronJob runs (see :mod:`workloads.evolution.schedule`).

It submits the slot's job to the Ray cluster's job API (or attaches to the one already there), follows it to its end
and exits with the run's outcome: 0 when the job SUCCEEDED, 1 when it FAILED, was STOPPED or was lost more often than
``--attempts`` allows, 2 on bad input. The run evolves the bars that open before the slot's scheduled time
(``--until``, added to the command). Whether the slot's run already has a checkpoint (``--resume`` instead of
``--run-id``) is read from the storage the stack's settings name, where the scheduled runs keep their checkpoints
(``genepool evolve --checkpoints database``).
"""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from workloads.cli.common import bad_input_exits, console
from workloads.cli.state import StackOutputs, settings_from

app = typer.Typer(help="Scheduled evolution runs on a Ray cluster.", no_args_is_help=True)
Opt = typer.Option


@app.command("submit")
def submit(
    command: Annotated[list[str], typer.Argument(help="The run, after `--`: genepool evolve … (no --run-id).")],
    address: Annotated[str, Opt("--address", help="The Ray job API, e.g. http://head:8265.")],
    symbol: Annotated[str, Opt("--symbol", help="The symbol the run evolves (part of the slot id).")],
    job_name: Annotated[
        str, Opt("--job-name", help="The Kubernetes Job's name: <cronjob>-<scheduled minute since the epoch>.")
    ],
    attempts: Annotated[int, Opt("--attempts", help="Submissions at most, when the job vanishes with the head.")] = 3,
    poll_seconds: Annotated[float, Opt("--poll-seconds", help="Seconds between status polls.")] = 10.0,
    unreachable_seconds: Annotated[
        float, Opt("--unreachable-seconds", help="Seconds to wait for an unreachable head before failing.")
    ] = 600.0,
    stack_outputs: StackOutputs = None,
) -> None:
    """Submit the scheduled slot's evolution once (attach if it is already there), follow it, exit with its result."""
    from ray.job_submission import JobSubmissionClient

    from workloads.evolution.schedule import run_slot, slot_command, slot_id, slot_of
    from workloads.storage import open_storage

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    with bad_input_exits():
        if attempts < 1:
            raise ValueError(f"--attempts {attempts}: must be at least 1")
        if any(arg in ("--run-id", "--resume") for arg in command):
            raise ValueError("the command must not name a run: the slot's run id is added to it")
        if any(arg == "--until" or arg.startswith("--until=") for arg in command):
            raise ValueError("the command must not give --until: the slot's start is added to it")
        settings = settings_from(stack_outputs)
    slot = slot_id(symbol, slot_of(job_name))

    def has_checkpoint(run_id: str) -> bool:
        with open_storage(settings) as storage:
            return storage.load_checkpoint(run_id) is not None

    result = run_slot(
        JobSubmissionClient(address),
        slot,
        slot_command(command, job_name),
        has_checkpoint,
        attempts=attempts,
        poll_seconds=poll_seconds,
        unreachable_seconds=unreachable_seconds,
    )
    console.print(f"slot {slot}: job {result.submission_id} {result.status}")
    if not result.succeeded:
        raise typer.Exit(1)
