"""Ray faults a spot cluster has, on the image's Ray head and workers in containers: a worker lost in the middle of
a generation (the run completes on the other worker with the hall of fame of an undisturbed run) and the head lost
under a scheduled slot (the CronJob's submitter re-submits it and the retry resumes from the database checkpoint,
losing at most the generation in progress). Each test prints the work lost, for CI's log."""

from __future__ import annotations

import dataclasses
import json
import random
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from infra.components.ray import DASHBOARD_PORT, driver_metrics_port
from infra.components.workload import submit_command
from tests.image.conftest import Podman
from tests.image.ray_cluster import SUBMIT, RayCluster
from tests.image.test_workload_image import parsed_config
from tests.integration.servers import PostgresServer
from workloads.data.synthetic import generate
from workloads.evolution.schedule import slot_id, slot_of
from workloads.storage import open_storage

pytestmark = pytest.mark.image

HAS_EVALUATOR = (
    "import pathlib, sys\n"
    "def named(p):\n"
    "    try:\n"
    "        return b'_Evaluator' in p.read_bytes()\n"
    "    except OSError:\n"
    "        return False\n"
    "sys.exit(0 if any(named(p) for p in pathlib.Path('/proc').glob('[0-9]*/cmdline')) else 1)"
)
"""Exits 0 when an evaluation actor (``ray::_Evaluator``) runs in the container."""
GENERATIONS = 40
RAY_RUN = ["--strategies=linear_svc_classifier,ema_crossover", "--population=8", f"--generations={GENERATIONS}"]
RAY_RUN += ["--random-seed=3", "--backend=ray", "--workers=2", "--no-store", "--runs-dir=/tmp/runs", "--json"]
"""A scikit-learn seed among them and enough generations (a few tenths of a second each) that the run is still in
its generations when the test has found the worker to lose and frozen it."""


def evolve_job(run_id: str) -> list[str]:
    return [*SUBMIT, "--", "genepool", "evolve", "--data=/tmp/bars.parquet", *RAY_RUN, f"--run-id={run_id}"]


def wait_for_file(path: Path, job: subprocess.Popen[str], seconds: float = 900) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert job.poll() is None, job.communicate()[0][-4000:]
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_a_worker_lost_mid_generation_leaves_the_hall_of_fame_of_an_undisturbed_run(
    podman: Podman, containers: list[str], tmp_path: Path
):
    runs = tmp_path / "runs"
    runs.mkdir()
    runs.chmod(0o777)  # the container's uid 1000 writes there; the test reads the checkpoints as they appear
    cluster = RayCluster(podman, containers, mounts=[f"--volume={runs}:/tmp/runs"])
    cluster.start_head()
    cluster.start_worker()
    cluster.start_worker()
    cluster.wait_for_cpus(2 * cluster.cpus_per_worker())
    data = podman.exec(cluster.head, ["genepool", "data", "generate", "--bars", "3000", "--out", "/tmp/bars.parquet"])
    assert data.returncode == 0, data.stderr

    calm = podman.exec(cluster.head, evolve_job("calm"), timeout=900)
    assert calm.returncode == 0, calm.stdout[-4000:] + calm.stderr[-4000:]

    started = time.monotonic()
    job = subprocess.Popen(
        ["podman", "exec", cluster.head, *evolve_job("lost-worker")],
        env=podman.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    checkpoints = runs / "lost-worker" / "checkpoints"
    wait_for_file(checkpoints / "gen--0001.ckpt", job)  # the actors are up
    busy = [w for w in cluster.workers if podman.exec(w, ["python", "-c", HAS_EVALUATOR]).returncode == 0]
    assert busy, "no worker runs an evaluation actor"
    podman.run("pause", busy[0], check=True)  # its chunk of the next generation hangs: the driver waits mid-generation
    paused = time.monotonic()
    after = max(int(path.stem.removeprefix("gen-")) for path in checkpoints.glob("gen-*.ckpt"))
    time.sleep(2)
    podman.run("kill", busy[0], check=True)
    output, _ = job.communicate(timeout=900)
    rerun = output.count("lost mid-generation")
    assert job.returncode == 0, output[-4000:]
    calm_run = json.loads((runs / "calm" / "run.json").read_text())
    lost_run = json.loads((runs / "lost-worker" / "run.json").read_text())
    seconds, calm_seconds = lost_run["backend"]["seconds"], calm_run["backend"]["seconds"]
    print(
        f"\nRay worker container frozen then killed {paused - started:.1f} s into the run (after generation {after}): "
        f"{rerun} actor chunk(s) re-run on the other worker, 0 generations redone; the generations took "
        f"{seconds:.1f} s against {calm_seconds:.1f} s undisturbed ({seconds - calm_seconds:.1f} s lost)"
    )
    assert after < GENERATIONS - 1, "the run ended before the worker was lost; give it more generations"
    assert rerun >= 1, output[-4000:]
    assert lost_run["hall_of_fame"] == calm_run["hall_of_fame"]


SLOT_JOB = "evolve-btcusdt-29500000"
SLOT_STRATEGIES = "--strategies=linear_svc_classifier,ema_crossover"
"""The CronJob's command runs every ready seed; the test narrows it to two (one of scikit-learn, so a generation
lasts a second or more) to keep the check short."""


@pytest.fixture
def bridged_postgres(podman: Podman) -> Iterator[PostgresServer]:
    """PostgreSQL on this host, reachable from the containers at the podman network's gateway (it outlives the
    Ray head, as the stack's database does)."""
    network = json.loads(podman.run("network", "inspect", "podman", check=True).stdout)[0]["subnets"][0]
    server = PostgresServer(bridge=network["gateway"], bridge_network=network["subnet"])
    try:
        server.start()
        yield server
    finally:
        server.remove()


def head_address() -> str:
    """A fixed address for the head on podman's 10.88.0.0/16 network, far from the ones podman hands out."""
    return f"10.88.{random.randint(200, 250)}.{random.randint(2, 250)}"


def generation_records(url: str, run_id: str) -> list[tuple[int, float]]:
    """``(generation, recorded at, s since the epoch)`` of the run's generation records."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT generation, extract(epoch FROM recorded_at) FROM generations WHERE run_id = %s ORDER BY 1",
            (run_id,),
        ).fetchall()
    return [(int(g), float(at)) for g, at in rows]


def latest_checkpoint(url: str, run_id: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT max(generation) FROM checkpoints WHERE run_id = %s", (run_id,)).fetchone()
    return -2 if row is None or row[0] is None else int(row[0])


def test_a_lost_head_costs_a_scheduled_slot_at_most_the_generation_in_progress(
    podman: Podman, containers: list[str], bridged_postgres: PostgresServer
):
    url = bridged_postgres.url
    with open_storage(url) as storage:
        storage.put_bars("BTCUSDT", generate(3000, 9))
    database = [f"--env=GENEPOOL_DATABASE_URL={bridged_postgres.bridge_url}"]
    cluster = RayCluster(podman, containers, env=database, head_ip=head_address())
    cluster.start_head()
    cluster.start_worker()
    cluster.wait_for_cpus(1)
    config = dataclasses.replace(parsed_config("dev").evolution, population=16, generations=8)
    command = submit_command("BTCUSDT", config, f"http://{cluster.head_ip}:{DASHBOARD_PORT}", driver_metrics_port(0))
    slot_job = [arg.replace("$(JOB_NAME)", SLOT_JOB) for arg in command]
    submitter_command = [*slot_job[:3], "--poll-seconds=2", *slot_job[3:], SLOT_STRATEGIES]
    submitter = podman.start(submitter_command, cluster.options)
    containers.append(submitter)
    run_id = slot_id("BTCUSDT", slot_of(SLOT_JOB))

    deadline = time.monotonic() + 900
    while latest_checkpoint(url, run_id) < 1:
        assert time.monotonic() < deadline, podman.logs(submitter)[-4000:]
        time.sleep(0.05)
    podman.run("pause", cluster.head, check=True)  # the driver stops where it is: mid-generation
    killed = time.time()
    kept = latest_checkpoint(url, run_id)
    podman.run("kill", cluster.head, check=True)
    for worker in cluster.workers:  # a worker's raylet dies with its head; the kubelet restarts its container
        podman.run("kill", worker)
    podman.run("start", cluster.head, check=True)
    cluster.wait_for_head()
    for worker in cluster.workers:
        podman.run("start", worker, check=True)
    ended = podman.run("wait", submitter, timeout=1200, check=True).stdout.strip()
    log = podman.logs(submitter)
    records = generation_records(url, run_id)
    before = [g for g, at in records if at < killed]
    after = [(g, at) for g, at in records if at >= killed]
    in_progress = kept + 1
    print(
        f"\nRay head killed during generation {in_progress} (checkpoint of generation {kept} kept): the retry "
        f"resumed at generation {min(g for g, _ in after) if after else 'none'}, "
        f"{sum(1 for g in before if g >= in_progress)} completed generation(s) redone, the one in progress lost; "
        f"{killed - max(at for g, at in records if g == kept):.1f} s of work lost, "
        f"{min(at for _, at in after) - killed if after else float('nan'):.1f} s from the kill to the retry's first "
        "generation"
    )
    assert ended == "0", log[-4000:]
    assert "resuming its checkpoint" in log and "SUCCEEDED" in log, log[-4000:]
    assert min(g for g, _ in after) == in_progress
    assert [g for g, _ in records] == list(range(config.generations))
    assert latest_checkpoint(url, run_id) == config.generations - 1
