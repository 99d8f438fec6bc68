"""``make dev-cluster`` (infra/dev-cluster.sh): without kind, kubectl or a container engine it stops before doing
anything, naming each missing program and how to install it; its commands create the cluster, context, storage
class and image the dev stack file names; an existing cluster is kept. The tools are stand-ins recording their
arguments: kind, kubectl and docker are not installed here."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml

REPOSITORY = Path(__file__).resolve().parents[2]
SCRIPT = REPOSITORY / "infra" / "dev-cluster.sh"
DEV = yaml.safe_load((REPOSITORY / "Pulumi.dev.yaml").read_text())["config"]
BASICS = ("bash", "sed", "grep", "dirname", "cat")


def bin_with(tmp_path: Path, fakes: dict[str, str]) -> Path:
    """A PATH directory holding the basic tools the script uses and, for each fake, a script printing its call
    to ``calls.log`` and then running the fake's shell body."""
    directory = tmp_path / "bin"
    directory.mkdir()
    for tool in BASICS:
        found = shutil.which(tool)
        assert found, tool
        (directory / tool).symlink_to(found)
    for name, body in fakes.items():
        fake = directory / name
        fake.write_text(f'#!{shutil.which("bash")}\necho "{name} $*" >> "{tmp_path}/calls.log"\n{body}\n')
        fake.chmod(0o755)
    return directory


def run(tmp_path: Path, fakes: dict[str, str], **env: str) -> subprocess.CompletedProcess[str]:
    path = bin_with(tmp_path, fakes)
    return subprocess.run(
        [str(path / "bash"), str(SCRIPT)],
        env={"PATH": str(path), "HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def calls(tmp_path: Path) -> list[str]:
    log = tmp_path / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


def test_without_kind_kubectl_or_an_engine_it_names_each_with_how_to_install_it_and_exits_1(tmp_path):
    result = run(tmp_path, {})
    assert result.returncode == 1
    assert "kind v0.33.0: 'go install sigs.k8s.io/kind@v0.33.0'" in result.stderr
    assert "kubectl 1.36" in result.stderr and "kubernetes.io/docs/tasks/tools" in result.stderr
    assert "Docker" in result.stderr and "podman" in result.stderr
    assert "+ " not in result.stdout


def test_with_only_kind_missing_it_names_kind_alone_and_runs_nothing(tmp_path):
    result = run(tmp_path, {"kubectl": "", "docker": ""})
    assert result.returncode == 1
    assert re.findall(r"^  - (\S+)", result.stderr, re.MULTILINE) == ["kind"]
    assert calls(tmp_path) == []


def test_the_dry_run_creates_what_the_dev_stack_names(tmp_path):
    result = run(tmp_path, {}, DRY_RUN="1")
    assert result.returncode == 0, result.stderr
    commands = [line[2:] for line in result.stdout.splitlines() if line.startswith("+ ")]
    context, image = DEV["genepool:cluster"]["context"], DEV["genepool:image"]
    name = context.removeprefix("kind-")
    minor = DEV["genepool:cluster"]["kubernetesVersion"]
    (create,) = [c for c in commands if c.startswith("kind create cluster")]
    assert f"--name {name} " in create and re.search(rf"--image kindest/node:v{re.escape(minor)}\.\d+@sha256:", create)
    assert f"kubectl --context {context} get storageclass {DEV['genepool:cluster']['storageClass']}" in commands
    assert f"docker build -f images/workload.Dockerfile -t {image} ." in commands
    assert commands[-1] == f"kind load docker-image {image} --name {name}"
    assert "PULUMI_CONFIG_PASSPHRASE" in result.stdout and "infra/policy/dev.json" in result.stdout
    assert calls(tmp_path) == []


def test_it_runs_each_step_and_keeps_an_existing_cluster(tmp_path):
    result = run(tmp_path, {"kind": 'if [ "$1" = get ]; then echo genepool; fi', "kubectl": "", "docker": ""})
    assert result.returncode == 0, result.stderr
    made = calls(tmp_path)
    assert made[0] == "kind get clusters"
    assert not [c for c in made if c.startswith("kind create")]
    assert made[-1] == f"kind load docker-image {DEV['genepool:image']} --name genepool"
    assert "exists: not recreated" in result.stdout


def test_a_failing_step_stops_the_script_with_its_exit_code(tmp_path):
    result = run(tmp_path, {"kind": "", "kubectl": "exit 3", "docker": ""})
    assert result.returncode == 3
    assert not [c for c in calls(tmp_path) if c.startswith("docker")]


def test_with_podman_and_no_docker_it_builds_with_podman_and_loads_an_archive(tmp_path):
    result = run(tmp_path, {"kind": "", "kubectl": "", "podman": ""})
    assert result.returncode == 0, result.stderr
    made = calls(tmp_path)
    assert any(c.startswith("podman build") for c in made)
    assert made[-1].startswith("kind load image-archive")
