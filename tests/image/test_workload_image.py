"""The workload image, built and run as the cluster runs it: non-root, read-only root filesystem with an emptyDir at
/tmp, no capabilities, the environment ``infra`` sets; the API's token rule; a token-authenticated Ray head and worker
started with the RayCluster's flags, their probes, and an evolution submitted as the CronJobs submit it."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import secrets
import urllib.error
import urllib.request

import pytest
import yaml

from infra.components.ray import (
    AUTH_MODE_ENV,
    AUTH_TOKEN_VAR,
    DASHBOARD_PORT,
    GCS_PORT,
    HEAD_HEALTH,
    HEAD_START_PARAMS,
    WORKER_HEALTH,
    WORKER_START_PARAMS,
    driver_metrics_port,
)
from infra.components.workload import API_TOKEN_ENV, PORT, submit_command
from infra.config import StackConfig, parse
from tests.image.conftest import HARDENED, REPO, Podman
from tests.image.ray_cluster import KUBERAY_HEAD_FLAGS, KUBERAY_WORKER_FLAGS, POD_ENV, SUBMIT, start_flags

pytestmark = pytest.mark.image

READ_ONLY_POD = ("--read-only", "--tmpfs=/tmp:rw,size=1g,mode=1777", *HARDENED, *POD_ENV)
"""The API pod's shape: read-only root, a writable /tmp, hardened, the pod env."""


def parsed_config(stack: str) -> StackConfig:
    """The stack file's config as the program reads it."""
    config = yaml.safe_load((REPO / f"Pulumi.{stack}.yaml").read_text())["config"]
    return parse({key.split(":", 1)[1]: value for key, value in config.items() if key.startswith("genepool:")})


def test_the_image_runs_as_uid_1000_and_never_root(podman: Podman):
    user = podman.run("image", "inspect", "--format", "{{.Config.User}}", podman.image, check=True).stdout.strip()
    ids = podman.container(["id", "-u"]).stdout.strip()
    assert user == "1000"
    assert ids == "1000"


def test_genepool_help_and_the_strategy_listing_run(podman: Podman):
    help_run = podman.container(["genepool", "--help"], READ_ONLY_POD)
    listing = podman.container(["genepool", "strategies", "list", "--json"], READ_ONLY_POD)
    assert help_run.returncode == 0, help_run.stderr
    assert listing.returncode == 0, listing.stderr
    assert len(json.loads(listing.stdout)) == 12


def test_the_demo_succeeds_on_a_read_only_root_without_capabilities(podman: Podman):
    demo = podman.container(["genepool", "demo"], READ_ONLY_POD, timeout=900)
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert "report" in demo.stdout


def test_an_unwritable_state_home_is_a_storage_error_naming_it(podman: Podman):
    generate_then_import = (
        "genepool data generate --bars 300 --random-seed 1 --out /tmp/bars.csv"
        " && genepool data import /tmp/bars.csv --symbol BTC"
    )
    imported = podman.container(
        ["bash", "-c", generate_then_import], [*READ_ONLY_POD, "--env=GENEPOOL_HOME=/home/ray/state"], timeout=120
    )
    assert imported.returncode == 1
    assert "cannot create the state directory /home/ray/state" in imported.stderr
    assert "Traceback" not in imported.stderr


def test_serve_refuses_to_start_without_a_token(podman: Podman):
    serve = podman.container(["genepool", "serve", "--host", "0.0.0.0", "--port", str(PORT)], READ_ONLY_POD)
    assert serve.returncode == 2
    assert API_TOKEN_ENV in serve.stderr


def test_the_api_answers_liveness_and_requires_the_token(podman: Podman, containers: list[str]):
    token = secrets.token_hex(16)
    name = podman.start(
        ["genepool", "serve", "--host", "0.0.0.0", "--port", str(PORT)],
        [*READ_ONLY_POD, f"--env={API_TOKEN_ENV}={token}", f"--publish=127.0.0.1::{PORT}"],
    )
    containers.append(name)
    port = podman.run("port", name, f"{PORT}/tcp", check=True).stdout.strip().rsplit(":", 1)[1]
    base = f"http://127.0.0.1:{port}"
    assert podman.wait_until(name, ["python", "-c", LIVENESS_PROBE.format(port=PORT)], 120).returncode == 0, (
        podman.logs(name)
    )
    with urllib.request.urlopen(f"{base}/health/liveness", timeout=10) as live:
        assert live.status == 200
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{base}/v1/strategies", timeout=10)
    authorised = urllib.request.Request(f"{base}/v1/strategies", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(authorised, timeout=30) as answer:
        assert answer.status == 200
    assert refused.value.code == 401


LIVENESS_PROBE = "import urllib.request; urllib.request.urlopen('http://127.0.0.1:{port}/health/liveness', timeout=2)"


@pytest.fixture
def ray_cluster(podman: Podman, containers: list[str]) -> dict[str, str]:
    """A token-authenticated Ray head and one worker, each in its own hardened container, started with the
    RayCluster's rayStartParams plus what KubeRay adds; returns the container names and the token."""
    token = secrets.token_hex(24)
    ray_env = [f"--env={AUTH_MODE_ENV['name']}={AUTH_MODE_ENV['value']}", f"--env={AUTH_TOKEN_VAR}={token}"]
    options = [*HARDENED, *POD_ENV, *ray_env, "--shm-size=1g"]
    head = podman.start(["ray", "start", "--head", *start_flags(HEAD_START_PARAMS), *KUBERAY_HEAD_FLAGS], options)
    containers.append(head)
    ready = podman.wait_until(head, ["bash", "-c", HEAD_HEALTH], 180)
    assert ready.returncode == 0, podman.logs(head)[-4000:]
    address = f"{podman.ip_address(head)}:{GCS_PORT}"
    worker = podman.start(
        ["ray", "start", f"--address={address}", *start_flags(WORKER_START_PARAMS), *KUBERAY_WORKER_FLAGS], options
    )
    containers.append(worker)
    return {"head": head, "worker": worker, "token": token}


def test_the_ray_probes_pass_on_the_head_and_the_worker(podman: Podman, ray_cluster: dict[str, str]):
    head = podman.exec(ray_cluster["head"], ["bash", "-c", HEAD_HEALTH])
    worker = podman.wait_until(ray_cluster["worker"], ["bash", "-c", WORKER_HEALTH], 180)
    assert head.returncode == 0, head.stdout + head.stderr
    assert worker.returncode == 0, podman.logs(ray_cluster["worker"])[-4000:]


def test_a_job_submitted_without_the_token_is_refused_by_the_head(podman: Podman, ray_cluster: dict[str, str]):
    without = ["env", "-u", AUTH_TOKEN_VAR, "-u", AUTH_MODE_ENV["name"]]
    submit = podman.exec(ray_cluster["head"], [*without, *SUBMIT, "--", "echo", "should-not-run"], timeout=120)
    assert submit.returncode != 0
    assert "Unauthorized: Missing authentication token" in submit.stdout + submit.stderr


def test_a_job_submitted_with_a_wrong_token_is_refused_by_the_head(podman: Podman, ray_cluster: dict[str, str]):
    wrong = ["env", f"{AUTH_TOKEN_VAR}={secrets.token_hex(24)}"]
    submit = podman.exec(ray_cluster["head"], [*wrong, *SUBMIT, "--", "echo", "should-not-run"], timeout=120)
    assert submit.returncode != 0
    assert "Forbidden: Invalid authentication token" in submit.stdout + submit.stderr


def test_a_short_ray_evolution_submitted_with_the_token_succeeds(podman: Podman, ray_cluster: dict[str, str]):
    head = ray_cluster["head"]
    data = podman.exec(head, ["genepool", "data", "generate", "--bars", "2000", "--out", "/tmp/bars.parquet"])
    assert data.returncode == 0, data.stderr
    workers_up = podman.wait_until(head, ["python", "-c", WAIT_FOR_WORKER_CPUS], 180)
    assert workers_up.returncode == 0, workers_up.stdout + workers_up.stderr
    evolve = podman.exec(
        head,
        [
            *SUBMIT,
            "--",
            "genepool",
            "evolve",
            "--data=/tmp/bars.parquet",
            "--strategies=ema_crossover,rsi_filter",
            "--population=8",
            "--generations=2",
            "--backend=ray",
            "--workers=1",
            "--no-store",
            "--json",
        ],
        timeout=900,
    )
    assert evolve.returncode == 0, evolve.stdout[-4000:] + evolve.stderr[-4000:]
    assert "succeeded" in evolve.stdout
    assert '"hall_of_fame"' in evolve.stdout


WAIT_FOR_WORKER_CPUS = "import ray; ray.init(address='auto'); assert ray.cluster_resources().get('CPU', 0) >= 1"
"""The head has ``num-cpus`` 0: evaluation actors need the worker's CPUs, so wait until it has joined."""


def test_a_scheduled_slot_runs_as_the_cronjob_submits_it(podman: Podman, ray_cluster: dict[str, str]):
    """The CronJob's own command (``genepool schedule submit … -- genepool evolve --symbol …``), built by the program
    with a small population, run with the token against the head: the slot's job succeeds and a second submitter of
    the same slot attaches to it instead of starting another."""
    head = ray_cluster["head"]
    for step in (
        ["genepool", "data", "generate", "--bars", "1500", "--out", "/tmp/bars.parquet"],
        ["genepool", "data", "import", "/tmp/bars.parquet", "--symbol", "BTCUSDT"],
    ):
        done = podman.exec(head, step)
        assert done.returncode == 0, done.stdout + done.stderr
    assert podman.wait_until(head, ["python", "-c", WAIT_FOR_WORKER_CPUS], 180).returncode == 0
    config = dataclasses.replace(parsed_config("dev").evolution, population=6, generations=2)
    command = submit_command("BTCUSDT", config, f"http://127.0.0.1:{DASHBOARD_PORT}", driver_metrics_port(0))
    slot_job = [arg.replace("$(JOB_NAME)", "evolve-btcusdt-29500000") for arg in command]
    first = podman.exec(head, [*slot_job[:3], "--poll-seconds=2", *slot_job[3:]], timeout=1200)
    again = podman.exec(head, [*slot_job[:3], "--poll-seconds=2", *slot_job[3:]], timeout=300)
    jobs = podman.exec(head, ["ray", "job", "list", f"--address=http://127.0.0.1:{DASHBOARD_PORT}"])
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-4000:]
    assert "slot evolve-btcusdt-" in first.stdout and "SUCCEEDED" in first.stdout
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    assert jobs.stdout.count("submission_id='evolve-btcusdt-") == 1, jobs.stdout[-3000:]


def test_the_image_carries_this_checkout_of_the_package(podman: Podman):
    """A stale build cache must not pass the checks with yesterday's code: every module of the installed package
    equals the checkout's."""
    script = (
        "import hashlib, pathlib, workloads; root = pathlib.Path(workloads.__file__).parent; "
        "print('\\n'.join(f'{p.relative_to(root)} {hashlib.sha256(p.read_bytes()).hexdigest()}' "
        "for p in sorted(root.rglob('*.py'))))"
    )
    listed = podman.container(["python", "-c", script], READ_ONLY_POD)
    assert listed.returncode == 0, listed.stderr
    installed = dict(line.split() for line in listed.stdout.splitlines())
    source = REPO / "workloads"
    expected = {
        str(path.relative_to(source)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(source.rglob("*.py"))
    }
    assert installed == expected
