"""The error raised for bad market data.

Rows are numbered as a spreadsheet shows them: the header is row 1, so the first bar is row 2. Parquet files,
which have no header line, use the same numbering so a row number means the same bar in either format.
"""

from __future__ import annotations

from dataclasses import dataclass

FIRST_DATA_ROW = 2
"""Spreadsheet row number of the first bar (the header is row 1)."""


@dataclass
class DataError(ValueError):
    """Bad input: names the file, the 1-based spreadsheet row (``None`` when the whole file is at fault), the rule."""

    source: str
    rule: str
    row: int | None = None
    detail: str = ""

    def __str__(self) -> str:
        where = f"{self.source}, row {self.row}" if self.row is not None else self.source
        tail = f": {self.detail}" if self.detail else ""
        return f"{where}: {self.rule}{tail}"
