"""The naming rule of jitted functions (docs/simulation.md#named-fields-in-kernels), read from the AST.

No function ends in ``_nb``: the ``@njit`` decorator says a function is compiled, and a name says its role. A
population kernel, the ``@njit(parallel=True)`` function running a ``prange`` over blocks (what ``Seed.kernel``
holds), ends in ``_kernel``; in a seed module it is ``<module>_kernel``; nothing else ends in ``_kernel``.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
SCANNED = ("workloads",)
SEEDS = "workloads/seeds/strategies"
JIT_DECORATORS = {"njit", "jit"}


def decorator_name(node: ast.expr) -> tuple[str | None, list[ast.keyword]]:
    """``(name, keywords)`` of a decorator: ``@njit``, ``@njit(...)``, ``@numba.njit(...)``."""
    keywords = node.keywords if isinstance(node, ast.Call) else []
    target = node.func if isinstance(node, ast.Call) else node
    if isinstance(target, ast.Name):
        return target.id, keywords
    if isinstance(target, ast.Attribute):
        return target.attr, keywords
    return None, keywords


def functions(root: Path = REPOSITORY) -> dict[str, tuple[bool, bool]]:
    """``<path>::<name>`` → ``(jitted, parallel)`` for every function under the :data:`SCANNED` folders."""
    found: dict[str, tuple[bool, bool]] = {}
    for folder in SCANNED:
        for path in sorted((root / folder).rglob("*.py")):
            where = path.relative_to(root).as_posix()
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                jitted = parallel = False
                for decorator in node.decorator_list:
                    name, keywords = decorator_name(decorator)
                    if name in JIT_DECORATORS:
                        jitted = True
                        parallel |= any(
                            k.arg == "parallel" and isinstance(k.value, ast.Constant) and k.value.value is True
                            for k in keywords
                        )
                found[f"{where}::{node.name}"] = (jitted, parallel)
    return found


def test_the_nb_suffix_is_not_used() -> None:
    assert [name for name in functions() if name.endswith("_nb")] == []


def test_every_population_kernel_ends_in_kernel() -> None:
    parallel = [name for name, (_, is_parallel) in functions().items() if is_parallel]
    assert parallel, "no @njit(parallel=True) function found: the scan is broken"
    assert [name for name in parallel if not name.endswith("_kernel")] == []


def test_only_jitted_functions_end_in_kernel() -> None:
    assert [name for name, (jitted, _) in functions().items() if name.endswith("_kernel") and not jitted] == []


def test_a_seeds_population_kernel_is_named_for_its_module() -> None:
    kernels = {name for name, (_, parallel) in functions().items() if parallel and name.startswith(f"{SEEDS}/")}
    misnamed = [name for name in kernels if name.split("::")[1] != f"{Path(name.split('::')[0]).stem}_kernel"]
    assert kernels and misnamed == []


def test_a_jitted_function_is_known_by_its_decorator(tmp_path: Path) -> None:
    package = tmp_path / "workloads"
    package.mkdir()
    (package / "module.py").write_text(
        "import numba\nfrom numba import njit\n\n"
        "@njit\ndef plain(): pass\n\n"
        "@njit(cache=True, parallel=True)\ndef population_kernel(): pass\n\n"
        "@numba.njit(parallel=False)\ndef serial(): pass\n\n"
        "def python(): pass\n"
    )
    assert functions(tmp_path) == {
        "workloads/module.py::plain": (True, False),
        "workloads/module.py::population_kernel": (True, True),
        "workloads/module.py::serial": (True, False),
        "workloads/module.py::python": (False, False),
    }
