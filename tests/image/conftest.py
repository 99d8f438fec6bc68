"""Fixtures for the checks of the built workload image (``make image-check``; marker ``image``, left out of
``make test``).

The image under test is ``$GENEPOOL_IMAGE`` (``make image-check`` builds it on the stand-in Ray base and sets it).
Containers run with podman using ``images/podman/containers.conf`` unless ``CONTAINERS_CONF`` says otherwise. Without
podman or the image the checks skip, except under CI, where they fail (:mod:`tests.prerequisites`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.prerequisites import unavailable

REPO = Path(__file__).resolve().parents[2]
IMAGE_ENV = "GENEPOOL_IMAGE"
HARDENED = ("--cap-drop=ALL", "--security-opt=no-new-privileges")
"""What every pod's ``container_security()`` asks for: no capabilities, no privilege escalation."""


@dataclass(frozen=True)
class Podman:
    """Runs the image under test with podman."""

    image: str
    env: dict[str, str]

    def run(self, *args: str, timeout: float = 300, check: bool = False) -> subprocess.CompletedProcess[str]:
        """``podman <args>``, text output captured."""
        result = subprocess.run(
            ["podman", *args], env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(f"podman {' '.join(args)} exited {result.returncode}:\n{result.stdout}{result.stderr}")
        return result

    def container(
        self, command: Sequence[str], options: Sequence[str] = (), timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        """A throw-away container of the image running ``command``."""
        return self.run("run", "--rm", *options, self.image, *command, timeout=timeout)

    def start(self, command: Sequence[str], options: Sequence[str] = ()) -> str:
        """A detached container of the image running ``command``; returns its name (removed by :meth:`remove`)."""
        name = f"genepool-check-{uuid.uuid4().hex[:10]}"
        self.run("run", "-d", "--name", name, *options, self.image, *command, check=True)
        return name

    def exec(self, name: str, command: Sequence[str], options: Sequence[str] = (), timeout: float = 300):
        return self.run("exec", *options, name, *command, timeout=timeout)

    def ip_address(self, name: str) -> str:
        out = self.run("inspect", "-f", "{{.NetworkSettings.IPAddress}}", name, check=True).stdout.strip()
        assert out, f"container {name} has no IP address on the default network"
        return out

    def logs(self, name: str) -> str:
        result = self.run("logs", name)
        return result.stdout + result.stderr

    def remove(self, name: str) -> None:
        self.run("rm", "-f", "-t", "5", name, timeout=60)

    def wait_until(self, name: str, command: Sequence[str], seconds: float) -> subprocess.CompletedProcess[str]:
        """Run ``command`` in container ``name`` until it exits 0 or ``seconds`` pass; the last attempt is returned."""
        deadline = time.monotonic() + seconds
        while True:
            result = self.exec(name, command, timeout=60)
            if result.returncode == 0 or time.monotonic() > deadline:
                return result
            time.sleep(2)


@pytest.fixture(scope="session")
def podman() -> Podman:
    if shutil.which("podman") is None:
        unavailable("podman is not installed (`make image-check` installs it: system-deps/image-check.txt)")
    image = os.environ.get(IMAGE_ENV)
    if not image:
        unavailable(f"${IMAGE_ENV} is not set: run `make image-check`, which builds the image and sets it")
    conf = os.environ.get("CONTAINERS_CONF", str(REPO / "images/podman/containers.conf"))
    env = {**os.environ, "CONTAINERS_CONF": conf}
    found = subprocess.run(["podman", "image", "exists", image], env=env, check=False)
    if found.returncode != 0:
        unavailable(f"image {image} does not exist")
    return Podman(image, env)


@pytest.fixture
def containers(podman: Podman) -> Iterator[list[str]]:
    """Names of containers a test starts; all removed afterwards."""
    names: list[str] = []
    yield names
    for name in names:
        podman.remove(name)
