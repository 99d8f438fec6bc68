"""The service tests close everything they open: a ``ResourceWarning`` (an unclosed socket, file, pipe or event loop)
fails the test during which it is raised. The suite as a whole only reports it (pyproject.toml, ``filterwarnings``:
the Pulumi SDK's mock monitor in tests/infra leaves event loops open)."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.filterwarnings("error::ResourceWarning"))
