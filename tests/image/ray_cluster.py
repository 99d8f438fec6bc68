"""A Ray cluster of the workload image in podman containers, started as KubeRay starts the RayCluster's pods: the
head and workers with the RayCluster's rayStartParams plus the flags KubeRay adds, token authentication, the pods'
hardening and environment."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from infra.components.common import WORKLOAD_ENV
from infra.components.ray import (
    AUTH_MODE_ENV,
    AUTH_TOKEN_VAR,
    DASHBOARD_PORT,
    GCS_PORT,
    HEAD_HEALTH,
    HEAD_START_PARAMS,
    WORKER_START_PARAMS,
)
from tests.image.conftest import HARDENED, Podman

POD_ENV = [f"--env={entry['name']}={entry['value']}" for entry in WORKLOAD_ENV]
"""The environment every workload pod gets besides the settings (HOME and Numba's cache on the /tmp emptyDir)."""
KUBERAY_HEAD_FLAGS = (f"--port={GCS_PORT}", "--dashboard-agent-listen-port=52365", "--block")
"""What KubeRay adds to the head's ``ray start`` besides our rayStartParams (the probes query the agent on 52365)."""
KUBERAY_WORKER_FLAGS = ("--dashboard-agent-listen-port=52365", "--block")
JOB_API = f"http://127.0.0.1:{DASHBOARD_PORT}"
"""The head's job API, as seen from inside the head container."""
SUBMIT = ["ray", "job", "submit", f"--address={JOB_API}"]

WAIT_FOR_CPUS = (
    "import sys, ray; ray.init(address='auto'); sys.exit(0 if ray.cluster_resources().get('CPU', 0) >= {cpus} else 1)"
)
"""Exits 0 once the cluster has ``cpus`` CPUs: the head has ``num-cpus`` 0, so the workers' CPUs, once joined."""


def start_flags(params: dict[str, str]) -> list[str]:
    """rayStartParams as KubeRay passes them to ``ray start``."""
    return [f"--{key}={value}" for key, value in params.items()]


@dataclass
class RayCluster:
    """The containers of one cluster (all removed by the ``containers`` fixture that lists them)."""

    podman: Podman
    containers: list[str]
    env: Sequence[str] = ()
    """Extra ``--env=…`` options of every container of the cluster (e.g. the database URL)."""
    mounts: Sequence[str] = ()
    """``--volume=…`` options of the head (where the driver runs)."""
    head_ip: str | None = None
    """A fixed address for the head (so a restarted head keeps it), else the one podman gives."""
    token: str = field(default_factory=lambda: secrets.token_hex(24))
    head: str = ""
    workers: list[str] = field(default_factory=list)

    @property
    def options(self) -> list[str]:
        ray_env = [f"--env={AUTH_MODE_ENV['name']}={AUTH_MODE_ENV['value']}", f"--env={AUTH_TOKEN_VAR}={self.token}"]
        return [*HARDENED, *POD_ENV, *ray_env, *self.env, "--shm-size=1g"]

    @property
    def address(self) -> str:
        """The head's GCS address, as the workers join it."""
        return f"{self.head_ip or self.podman.ip_address(self.head)}:{GCS_PORT}"

    def start_head(self) -> str:
        fixed = [f"--ip={self.head_ip}"] if self.head_ip else []
        command = ["ray", "start", "--head", *start_flags(HEAD_START_PARAMS), *KUBERAY_HEAD_FLAGS]
        self.head = self.podman.start(command, [*self.options, *fixed, *self.mounts])
        self.containers.append(self.head)
        self.wait_for_head()
        return self.head

    def wait_for_head(self) -> None:
        ready = self.podman.wait_until(self.head, ["bash", "-c", HEAD_HEALTH], 240)
        assert ready.returncode == 0, self.podman.logs(self.head)[-4000:]

    def start_worker(self) -> str:
        command = ["ray", "start", f"--address={self.address}", *start_flags(WORKER_START_PARAMS)]
        worker = self.podman.start([*command, *KUBERAY_WORKER_FLAGS], self.options)
        self.containers.append(worker)
        self.workers.append(worker)
        return worker

    def wait_for_cpus(self, cpus: int) -> None:
        script = WAIT_FOR_CPUS.replace("{cpus}", str(cpus))
        joined = self.podman.wait_until(self.head, ["python", "-c", script], 300)
        assert joined.returncode == 0, joined.stdout[-2000:] + joined.stderr[-2000:]

    def cpus_per_worker(self) -> int:
        """CPUs Ray detects in one worker container (the workers set no ``num-cpus``: all the machine's)."""
        counted = self.podman.container(["python", "-c", "import os; print(os.cpu_count())"])
        return int(counted.stdout.strip())
