"""Scheduled evolution slots on a long-lived Ray cluster: submit once, follow to the end, resume a slot whose job died.

A *slot* is one scheduled run of one symbol. The Kubernetes CronJob controller names the Job of each slot
``<cronjob>-<scheduled time in minutes since the Unix epoch>``; every pod the Job starts (a retry after a failed or
evicted submitter included) reads that name through the downward API, so all of them derive the same slot
(:func:`slot_of`) and the same submission id (:func:`slot_id`, e.g. ``evolve-btcusdt-20261201t0400z``).

- **One job per slot.** The first submitter submits the slot's job under the submission id; a second submitter of the
  same slot finds it in the Ray job table and attaches to it instead of starting another (:func:`submit_slot`).
- **Follow to the end.** The submitter polls the job until it is terminal (:func:`follow`) and exits 0 only when it
  SUCCEEDED, so the Job's status (and ``kube_cronjob_status_last_successful_time``) is the run's status.
- **Resume a dead slot.** A job that FAILED or was STOPPED is re-submitted as the next attempt (``<id>-retry-<n>``:
  Ray never reuses a submission id); a job that vanished with the head (a restarted head starts with an empty job
  table, kuberay#2153) is re-submitted too. Every attempt of a slot runs the same run id, the slot id: it gets
  ``--run-id <slot id>`` while the run has no checkpoint and ``--resume <slot id>`` once it has one, so it continues
  from its last completed generation. The run id is per slot, not per symbol: each slot evolves afresh on the bars
  stored at its start, and a slot's retries never continue another slot's run.
- **A slot owns its data.** Every attempt evolves only the bars that open before the slot's scheduled time
  (``--until``, :func:`slot_command`), and a resumed run is pinned to the bars its checkpoint names (their last
  timestamp and content hash, :func:`workloads.evolution.run.pinned_bars`): bars fetched while a slot runs or
  after it died never make its retry refuse to resume; the next slot evolves on them.
- **Deadline.** When Kubernetes ends the submitter (``activeDeadlineSeconds``: SIGTERM), it stops the slot's job, so
  a hung run does not outlive its slot and keep the next one waiting.

Times are UTC; durations are seconds.
"""

from __future__ import annotations

import logging
import re
import shlex
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from types import FrameType
from typing import Any, Protocol

log = logging.getLogger(__name__)

SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
STOPPED = "STOPPED"
LOST = "LOST"
"""Not a Ray status: the job is no longer in the cluster's job table (the head restarted)."""
TERMINAL = frozenset({SUCCEEDED, FAILED, STOPPED})
RETRY_SUFFIX = "-retry-"
_CRONJOB_JOB_NAME = re.compile(r"^(?P<cronjob>.+)-(?P<minutes>\d{7,})$")
_UNSAFE = re.compile(r"[^a-z0-9-]+")


class JobClient(Protocol):
    """What the submitter uses of ``ray.job_submission.JobSubmissionClient``."""

    def submit_job(self, *, entrypoint: str, submission_id: str | None = None) -> str: ...

    def get_job_status(self, job_id: str) -> Any: ...

    def list_jobs(self) -> list[Any]: ...

    def stop_job(self, job_id: str) -> bool: ...


def slot_of(job_name: str) -> str:
    """The slot a Kubernetes Job runs: its scheduled minute (``20261201t0400z``) when the CronJob controller created
    it (``<cronjob>-<minutes since the epoch>``), else the Job's own name (one made by hand is its own slot)."""
    match = _CRONJOB_JOB_NAME.match(job_name)
    if match is None:
        return _UNSAFE.sub("-", job_name.lower()).strip("-")
    scheduled = datetime.fromtimestamp(int(match["minutes"]) * 60, tz=UTC)
    return scheduled.strftime("%Y%m%dt%H%Mz")


def slot_start(job_name: str) -> datetime | None:
    """The slot's scheduled time (UTC) when the CronJob controller created the Job, else ``None``. Every attempt of
    the slot evolves the bars that open before it (``genepool evolve --until``), so a retry finds the data of the
    first attempt whatever was fetched in between."""
    match = _CRONJOB_JOB_NAME.match(job_name)
    return None if match is None else datetime.fromtimestamp(int(match["minutes"]) * 60, tz=UTC)


def slot_command(command: Sequence[str], job_name: str) -> list[str]:
    """``command`` with the slot's data cut-off (``--until <slot start>``) when the slot has a scheduled time."""
    start = slot_start(job_name)
    return [*command] if start is None else [*command, "--until", start.strftime("%Y-%m-%dT%H:%M:%SZ")]


def slot_id(symbol: str, slot: str) -> str:
    """Submission id of the slot's first attempt, and the run id of every attempt: ``evolve-<symbol>-<slot>``."""
    return _UNSAFE.sub("-", f"evolve-{symbol.lower()}-{slot}").strip("-")


def attempt_id(slot: str, attempt: int) -> str:
    """Submission id of the slot's ``attempt`` (0 is the first)."""
    return slot if attempt == 0 else f"{slot}{RETRY_SUFFIX}{attempt}"


def _attempt_number(slot: str, submission_id: str | None) -> int | None:
    if submission_id == slot:
        return 0
    if submission_id and submission_id.startswith(slot + RETRY_SUFFIX):
        number = submission_id[len(slot + RETRY_SUFFIX) :]
        return int(number) if number.isdigit() else None
    return None


def _status(value: Any) -> str:
    return str(getattr(value, "value", value))


def latest_attempt(client: JobClient, slot: str) -> tuple[int, str] | None:
    """``(attempt, status)`` of the slot's latest attempt in the cluster's job table, or None if it has none."""
    attempts = []
    for job in client.list_jobs():
        number = _attempt_number(slot, getattr(job, "submission_id", None))
        if number is not None:
            attempts.append((number, _status(job.status)))
    return max(attempts) if attempts else None


def submit_slot(client: JobClient, slot: str, command: Sequence[str], has_checkpoint: Callable[[str], bool]) -> str:
    """Submission id of the slot's job: the latest attempt if it is pending, running or succeeded (attach), else a
    new attempt running ``command`` with ``--run-id <slot>`` (no checkpoint yet) or ``--resume <slot>``."""
    latest = latest_attempt(client, slot)
    if latest is not None and latest[1] not in (FAILED, STOPPED):
        log.info("slot %s: attaching to %s (%s)", slot, attempt_id(slot, latest[0]), latest[1])
        return attempt_id(slot, latest[0])
    submission = attempt_id(slot, 0 if latest is None else latest[0] + 1)
    resume = has_checkpoint(slot)
    entrypoint = shlex.join([*command, "--resume" if resume else "--run-id", slot])
    try:
        client.submit_job(entrypoint=entrypoint, submission_id=submission)
    except RuntimeError as exc:
        if "already exists" not in str(exc):
            raise
        log.info("slot %s: %s was submitted concurrently; attaching", slot, submission)
        return submission
    log.info("slot %s: submitted %s%s", slot, submission, " (resuming its checkpoint)" if resume else "")
    return submission


def follow(
    client: JobClient,
    submission_id: str,
    poll_seconds: float,
    unreachable_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> str:
    """Poll the job until it is terminal and return its status, or :data:`LOST` once the job table no longer knows it.
    A head that cannot be reached is retried for ``unreachable_seconds`` (a restarting head); after that the error
    propagates."""
    unreachable_since: float | None = None
    while True:
        try:
            status = _status(client.get_job_status(submission_id))
        except RuntimeError as exc:
            if "does not exist" in str(exc):
                return LOST
            raise
        except OSError:  # requests' connection errors (the head is down or restarting)
            now = clock()
            unreachable_since = unreachable_since if unreachable_since is not None else now
            if now - unreachable_since > unreachable_seconds:
                raise
            sleep(poll_seconds)
            continue
        unreachable_since = None
        if status in TERMINAL:
            return status
        sleep(poll_seconds)


@dataclass(frozen=True)
class SlotResult:
    submission_id: str
    status: str

    @property
    def succeeded(self) -> bool:
        return self.status == SUCCEEDED


class Terminated(Exception):
    """The submitter was asked to stop (SIGTERM: the Job's ``activeDeadlineSeconds`` ran out, or the pod is
    evicted)."""


@contextmanager
def _terminate_on_sigterm() -> Iterator[None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        raise Terminated(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_slot(
    client: JobClient,
    slot: str,
    command: Sequence[str],
    has_checkpoint: Callable[[str], bool],
    *,
    attempts: int,
    poll_seconds: float,
    unreachable_seconds: float,
) -> SlotResult:
    """Submit (or attach to) the slot's job and follow it to its end, re-submitting it with ``--resume`` when it
    vanished with the head, at most ``attempts`` submissions in all. A job that FAILED or was STOPPED is not
    re-submitted here (it is by the next submitter of the slot: the Job's retry). On SIGTERM the running attempt is
    stopped and :class:`Terminated` propagates."""
    submission = ""
    status = LOST
    with _terminate_on_sigterm():
        try:
            for _ in range(attempts):
                submission = submit_slot(client, slot, command, has_checkpoint)
                status = follow(client, submission, poll_seconds, unreachable_seconds)
                log.info("slot %s: %s ended %s", slot, submission, status)
                if status != LOST:
                    break
        except Terminated:
            if submission:
                log.warning("slot %s: terminated; stopping %s", slot, submission)
                client.stop_job(submission)
            raise
    return SlotResult(submission, status)
