"""The README is short and its commands are the ones that run: the quickstart's two commands are `make` targets,
CI (`.ci/run`) runs exactly the README's test command and the developer targets it names, and every target the
README names exists in the Makefile."""

from __future__ import annotations

import re
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
README = (REPOSITORY / "README.md").read_text()
MAKEFILE = (REPOSITORY / "Makefile").read_text()
CI_RUN = (REPOSITORY / ".ci" / "run").read_text()


def quickstart() -> str:
    start = README.index("\n## Quickstart\n")
    return README[start : README.index("\n## ", start + 1)]


def shell_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, re.DOTALL)


def commands(block: str) -> list[str]:
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.split("#", 1)[0].strip()]


def test_the_readme_is_at_most_200_lines():
    assert len(README.splitlines()) <= 200


def test_the_quickstart_has_the_two_commands_demo_then_test():
    assert commands(shell_blocks(quickstart())[0]) == ["make demo", "make test"]


def test_ci_runs_exactly_the_readmes_test_command_and_the_targets_it_names_for_ci():
    ran = [line.strip() for line in CI_RUN.splitlines() if line.strip().startswith("make ")]
    assert ran[0] == commands(shell_blocks(quickstart())[0])[1]
    assert f"CI (`.ci/run`) runs `{ran[0]}`, then {' and '.join(f'`{c}`' for c in ran[1:])}" in README


def test_every_make_target_the_readme_names_exists():
    named = set(re.findall(r"`?make ([a-z-]+)", README))
    defined = set(re.findall(r"^([a-z-]+):", MAKEFILE, re.MULTILINE))
    assert named and named <= defined, named - defined


def test_the_readme_names_no_issue_or_session():
    assert not re.search(r"\b(issue|session) #?\d+\b", README, re.IGNORECASE)
    assert "previous release" not in README


def test_the_pulumi_quick_start_creates_the_local_cluster_and_sets_the_passphrase_before_pulumi():
    start = README.index("\n## Deploying\n")
    (block,) = shell_blocks(README[start : README.index("\n## ", start + 1)])
    steps = commands(block)
    assert steps[0] == "make dev-cluster"
    assert steps[1].startswith("export PULUMI_CONFIG_PASSPHRASE=")
    assert steps[-1] == "pulumi up --policy-pack infra/policy --policy-pack-config infra/policy/dev.json"
