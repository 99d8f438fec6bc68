"""Market data: the :class:`Bars` type, validated CSV/Parquet loaders, a seeded synthetic generator, and
``bars_per_year`` inference (docs/data.md)."""

from workloads.data.bars import Bars
from workloads.data.errors import DataError

__all__ = ["Bars", "DataError"]
