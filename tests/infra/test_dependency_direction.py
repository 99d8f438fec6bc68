"""``infra`` may import ``workloads``; ``workloads`` never imports ``infra`` or any Pulumi package
(docs/architecture.md#dependency-direction)."""

from __future__ import annotations

import ast

from .conftest import REPOSITORY


def imported_roots(path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_workloads_never_imports_infra_or_pulumi():
    offenders = {
        str(path.relative_to(REPOSITORY)): sorted(roots)
        for path in (REPOSITORY / "workloads").rglob("*.py")
        if (roots := {r for r in imported_roots(path) if r == "infra" or r.startswith("pulumi")})
    }
    assert offenders == {}


def test_infra_reads_the_contract_from_workloads():
    assert "workloads" in imported_roots(REPOSITORY / "infra" / "components" / "settings.py")
