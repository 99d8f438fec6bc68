"""No ``dict[str, Any]`` crosses the path from the evolution to storage to the API: the public signatures of the
storage backends, the run recorder and the HTTP routes name typed records (docs/architecture.md#typed-records).

Read from the source (``ast``), so it holds for code no test calls. Private names (``_x``) are inside one module and
not checked; SQL parameter tuples (``tuple[Any, ...]``) and driver generics (``Connection[Any]``) are not mappings and
pass. ``workloads/storage/dumps.py`` (backup manifests) and ``schema.py`` (SQL text) are not on the path."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
WORKLOADS = REPOSITORY / "workloads"
OFF_THE_PATH = {"dumps.py", "schema.py"}
UNTYPED = re.compile(r"\b(?:dict|Dict|Mapping|MutableMapping)\[\s*str\s*,\s*(?:typing\.)?Any\s*\]|^(?:typing\.)?Any$")
"""An annotation that is an untyped mapping of names, or ``Any`` itself."""
ROUTE_METHODS = {"get", "post", "put", "patch", "delete", "api_route"}


def storage_modules() -> list[Path]:
    return sorted(p for p in (WORKLOADS / "storage").glob("*.py") if p.name not in OFF_THE_PATH)


def recorder_modules() -> list[Path]:
    """Wherever ``RunRecorder`` lives (storage today, the evolution package once it is an observer there)."""
    return [p for p in sorted(WORKLOADS.rglob("*.py")) if re.search(r"^class RunRecorder\b", p.read_text(), re.M)]


def service_modules() -> list[Path]:
    return sorted((WORKLOADS / "service").rglob("*.py"))


def public_functions(tree: ast.Module) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Module-level functions and methods of module-level classes whose names do not start with ``_``."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
            yield node.name, node
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and not item.name.startswith("_"):
                    yield f"{node.name}.{item.name}", item


def public_fields(tree: ast.Module) -> Iterator[tuple[str, ast.expr]]:
    """Annotated fields of public classes (the dataclass records)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for item in node.body:
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    yield f"{node.name}.{item.target.id}", item.annotation


def routes(tree: ast.Module) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Functions (at any depth: closures in an app factory too) decorated with ``<app or router>.get(...)`` & co."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in node.decorator_list:
                call = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(call, ast.Attribute) and call.attr in ROUTE_METHODS:
                    yield node.name, node


def untyped_annotations(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    arguments = function.args
    every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
    every += [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
    found = [
        f"{a.arg}: {ast.unparse(a.annotation)}"
        for a in every
        if a.annotation is not None and UNTYPED.search(ast.unparse(a.annotation))
    ]
    if function.returns is not None and UNTYPED.search(ast.unparse(function.returns)):
        found.append(f"-> {ast.unparse(function.returns)}")
    return found


def offenders(paths: list[Path], *, route_only: bool = False) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path in paths:
        tree = ast.parse(path.read_text())
        where = path.relative_to(REPOSITORY)
        functions = routes(tree) if route_only else public_functions(tree)
        for name, function in functions:
            if found := untyped_annotations(function):
                out[f"{where}:{function.lineno} {name}"] = found
        if not route_only:
            for name, annotation in public_fields(tree):
                if UNTYPED.search(ast.unparse(annotation)):
                    out[f"{where} {name}"] = [ast.unparse(annotation)]
    return out


def test_the_storage_backends_take_and_return_typed_records():
    assert storage_modules(), "no storage modules found"
    assert offenders(storage_modules()) == {}


def test_the_run_recorder_takes_typed_records():
    modules = recorder_modules()
    assert modules, "class RunRecorder not found under workloads/"
    assert offenders(modules) == {}


def test_the_http_routes_answer_response_models():
    found = [name for path in service_modules() for name, _ in routes(ast.parse(path.read_text()))]
    assert {"list_strategies", "get_strategy", "signals"} <= set(found)
    assert offenders(service_modules(), route_only=True) == {}


@pytest.mark.parametrize(
    ("source", "caught"),
    [
        ("def f(x: dict[str, Any]) -> None: ...", ["x: dict[str, Any]"]),
        ("def f() -> Mapping[str, Any] | None: ...", ["-> Mapping[str, Any] | None"]),
        ("def f(*rows: Any) -> list[dict[str,  typing.Any]]: ...", ["rows: Any", "-> list[dict[str, typing.Any]]"]),
        ("def f(params: tuple[Any, ...], config: JsonObject) -> StoredRun: ...", []),
    ],
)
def test_the_check_sees_untyped_mappings_anywhere_in_an_annotation(source, caught):
    (function,) = ast.parse(source).body
    assert isinstance(function, ast.FunctionDef)
    assert untyped_annotations(function) == caught
