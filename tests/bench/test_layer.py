"""The benchmarks are a top layer: they may import any part of ``workloads``, and only the ``genepool bench``
command imports them (docs/architecture.md#dependency-direction)."""

from __future__ import annotations

import ast
from pathlib import Path

WORKLOADS = Path(__file__).resolve().parents[2] / "workloads"


def imports_bench(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text())):
        names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        if any(name == "workloads.bench" or name.startswith("workloads.bench.") for name in names):
            return True
    return False


def test_only_the_bench_command_imports_the_benchmarks():
    importers = {
        str(path.relative_to(WORKLOADS))
        for path in WORKLOADS.rglob("*.py")
        if path.parent.name != "bench" and imports_bench(path)
    }
    assert importers == {"cli/bench.py"}
