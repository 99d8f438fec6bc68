"""The tests mirror the packages (docs/architecture.md#layers): each directory under ``tests/`` is named for the
``workloads`` package or top-level module it tests (``seeds_ml``: an aspect of ``seeds``), or is ``infra``,
``integration`` (real servers), ``image`` (the built image) or ``repo`` (the repository itself)."""

from __future__ import annotations

from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
TESTS = REPOSITORY / "tests"
OUTSIDE_WORKLOADS = {"infra", "integration", "image", "repo"}


def workload_names() -> set[str]:
    """The packages and top-level modules of ``workloads``."""
    root = REPOSITORY / "workloads"
    packages = {path.name for path in root.iterdir() if (path / "__init__.py").is_file()}
    modules = {path.stem for path in root.glob("*.py") if path.stem != "__init__"}
    return packages | modules


def test_every_test_directory_is_named_for_what_it_tests():
    directories = {path.name for path in TESTS.iterdir() if (path / "__init__.py").is_file()}
    allowed = workload_names() | OUTSIDE_WORKLOADS
    assert {name for name in directories if name.split("_")[0] not in allowed} == set()


def test_no_test_module_sits_at_the_top_of_tests():
    assert sorted(path.name for path in TESTS.glob("test_*.py")) == []
