"""The workload image definition: pinned Ray base matching the deployed Ray, multi-stage, non-root, wheel-only."""

from __future__ import annotations

import re
import tomllib

from infra import versions

from .conftest import REPOSITORY

DOCKERFILE = (REPOSITORY / "images" / "workload.Dockerfile").read_text()


def instructions(keyword: str) -> list[str]:
    return [line.split(None, 1)[1] for line in DOCKERFILE.splitlines() if line.startswith(keyword + " ")]


def test_base_image_is_the_deployed_ray_version_for_python_3_11():
    assert instructions("ARG") == [f"RAY_IMAGE=rayproject/ray:{versions.RAY_VERSION}-py311"]


def test_image_is_multi_stage_from_the_pinned_base():
    assert instructions("FROM") == ["${RAY_IMAGE} AS wheel", "${RAY_IMAGE}"]


def test_runtime_stage_runs_as_the_non_root_ray_user():
    runtime = DOCKERFILE.split("\nFROM ${RAY_IMAGE}\n", 1)[1]
    assert re.search(r"^USER 1000$", runtime, re.MULTILINE)
    assert "USER root" not in DOCKERFILE


def test_only_the_wheel_is_installed_without_extras():
    installs = [line for line in DOCKERFILE.splitlines() if "pip install" in line]
    assert installs == ["RUN python -m pip install --no-cache-dir /tmp/wheels/genepool-*.whl \\"]
    assert "[" not in installs[0]


def test_the_wheel_core_carries_no_pulumi():
    project = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["project"]
    assert not [dep for dep in project["dependencies"] if "pulumi" in dep]
    assert all("pulumi" in dep for dep in project["optional-dependencies"]["infra"])


def test_container_serves_on_the_port_the_program_probes():
    from infra.components.workload import PORT

    assert instructions("EXPOSE") == [str(PORT)]


def test_no_frontend_is_pulled_for_the_build():
    """A ``# syntax=`` line makes BuildKit pull a frontend image; nothing in the file needs one."""
    assert not re.search(r"^#\s*syntax\s*=", DOCKERFILE, re.MULTILINE | re.IGNORECASE)


def test_the_runtime_stage_starts_in_the_writable_tmp_the_pods_mount():
    from infra.components.common import WORKLOAD_ENV

    runtime = DOCKERFILE.split("\nFROM ${RAY_IMAGE}\n", 1)[1]
    assert instructions("WORKDIR")[-1] == "/tmp"
    assert "WORKDIR /tmp" in runtime
    assert {"name": "HOME", "value": "/tmp"} in WORKLOAD_ENV


def test_the_stand_in_base_installs_the_deployed_ray_version():
    standin = (REPOSITORY / "images" / "ray-standin.Dockerfile").read_text()
    script = (REPOSITORY / "images" / "build-ray-standin.sh").read_text()
    assert '"ray[default]==${RAY_VERSION}"' in standin
    assert "infra/versions.py" in script and "RAY_VERSION" in script
    assert "STAND-IN" in standin and "STAND-IN" in script


def test_the_image_state_home_is_the_one_every_pod_is_given():
    from infra.components.common import GENEPOOL_HOME, TMP_DIR

    runtime = DOCKERFILE.split("\nFROM ${RAY_IMAGE}\n", 1)[1]
    assert re.search(rf"^\s*GENEPOOL_HOME={re.escape(GENEPOOL_HOME)}\b", runtime, re.MULTILINE)
    assert GENEPOOL_HOME.startswith(TMP_DIR + "/")
