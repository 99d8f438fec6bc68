"""Fixtures for the data-layer tests: small CSV files written from a list of rows."""

from __future__ import annotations

from pathlib import Path

import pytest

HEADER = "timestamp,open,high,low,close,volume"


def hourly(i: int) -> str:
    return f"2024-01-01T{i:02d}:00:00Z"


def good_rows(n: int = 5) -> list[str]:
    return [f"{hourly(i)},100,101,99,100.5,10" for i in range(n)]


@pytest.fixture
def write_csv(tmp_path: Path):
    """Write ``rows`` under ``header`` to a CSV file and return its path."""

    def write(rows: list[str], header: str = HEADER, name: str = "bars.csv") -> Path:
        path = tmp_path / name
        path.write_text("\n".join([header, *rows]) + "\n")
        return path

    return write
