"""The shape of the code a reader meets: no function so long that its steps cannot be seen at once.

A function's length is its lines from ``def`` to its last statement (docstring, comments and blank lines inside
included; decorators not), as the AST reports them. Functions that are data — one document built as a literal,
such as an IAM policy statement for statement — are allowed longer, but only by name, here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]

WORKLOADS_LIMIT = 80
"""Lines a function in ``workloads/`` may have."""
INFRA_LIMIT = 100
"""Lines a function in ``infra/`` may have (a Pulumi component's steps pass many resource arguments)."""
INFRA_DATA_LITERALS = {
    "infra/platforms/aws/iam.py::karpenter_controller_policy",
    "infra/platforms/aws/iam.py::load_balancer_controller_policy",
}
"""``infra/`` functions that return one data literal (an IAM policy document, statement for statement as its
reference), exempt from :data:`INFRA_LIMIT`."""


def functions(node: ast.AST, prefix: str = "") -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Every function and method under ``node``, with its qualified name (``Class.method``, ``outer.inner``)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = f"{prefix}{child.name}"
            if not isinstance(child, ast.ClassDef):
                yield name, child
            yield from functions(child, f"{name}.")
        else:
            yield from functions(child, prefix)


def function_lengths(package: str, root: Path = REPOSITORY) -> dict[str, int]:
    """``<path from root>::<qualified name>`` → lines, for every function and method under ``root/package``."""
    lengths: dict[str, int] = {}
    for path in sorted((root / package).rglob("*.py")):
        where = path.relative_to(root).as_posix()
        for name, node in functions(ast.parse(path.read_text(), str(path))):
            lengths[f"{where}::{name}"] = (node.end_lineno or node.lineno) - node.lineno + 1
    return lengths


def test_no_workloads_function_is_over_the_limit() -> None:
    over = {name: lines for name, lines in function_lengths("workloads").items() if lines > WORKLOADS_LIMIT}
    assert over == {}, f"functions in workloads/ over {WORKLOADS_LIMIT} lines (split them into named steps)"


def test_no_infra_function_is_over_the_limit() -> None:
    over = {
        name: lines
        for name, lines in function_lengths("infra").items()
        if lines > INFRA_LIMIT and name not in INFRA_DATA_LITERALS
    }
    assert over == {}, f"functions in infra/ over {INFRA_LIMIT} lines (split them into named steps)"


def test_the_infra_data_literal_allowlist_names_only_functions_over_the_limit() -> None:
    lengths = function_lengths("infra")
    assert {name: lengths.get(name, 0) for name in INFRA_DATA_LITERALS if lengths.get(name, 0) <= INFRA_LIMIT} == {}


def test_a_function_is_measured_from_def_to_its_last_line(tmp_path: Path) -> None:
    package = tmp_path / "package"
    package.mkdir()
    (package / "module.py").write_text(
        "class Outer:\n    def method(self):\n        x = 1\n\n        return x\n\n\ndef top():\n    pass\n"
    )
    assert function_lengths("package", tmp_path) == {"package/module.py::Outer.method": 4, "package/module.py::top": 2}
