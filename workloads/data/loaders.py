"""CSV and Parquet loaders with strict validation (docs/data.md#validation), and the writer used by ``data generate``.

Columns are matched case-insensitively: the time column is the first of ``timestamp``, ``date``, ``time``; then
``open, high, low, close, volume`` (required) and ``funding_rate`` (optional). Other columns are ignored.

Time values may be ISO-8601 text (a trailing ``Z`` or offset is honoured; naive times are taken as UTC), dates,
Arrow timestamps, or integer epochs whose unit is told by magnitude: seconds (< 1e11), milliseconds (< 1e14),
microseconds (< 1e17), else nanoseconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from workloads.data.bars import PRICE_FIELDS, Bars
from workloads.data.errors import FIRST_DATA_ROW, DataError
from workloads.data.validate import DEFAULT_MIN_BARS, RULE_NOT_FINITE, RepairReport, validate

TIME_COLUMNS = ("timestamp", "date", "time")
FUNDING = "funding_rate"
SUFFIXES = (".csv", ".parquet", ".pq")


@dataclass(frozen=True)
class LoadOptions:
    """How strictly to load: repairs happen only when asked."""

    drop_invalid: bool = False
    fill_gaps: bool = False
    min_bars: int = DEFAULT_MIN_BARS
    symbol: str = ""


@dataclass(frozen=True)
class LoadResult:
    bars: Bars
    repairs: RepairReport


def read_bars(path: str | Path, options: LoadOptions = LoadOptions()) -> LoadResult:
    """Load, validate and (only when asked) repair a CSV or Parquet file. Raises :class:`DataError`."""
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise DataError(source, "file does not exist")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DataError(source, f"unsupported file type {suffix or '(none)'!r}; expected one of {', '.join(SUFFIXES)}")
    try:
        table = _read_csv(path) if suffix == ".csv" else _read_parquet(path, source)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(source, "cannot be read as " + suffix.lstrip("."), detail=str(exc).splitlines()[0]) from exc
    bars = _to_bars(table, source, options.symbol or path.stem)
    bars, repairs = validate(
        bars, drop_invalid=options.drop_invalid, fill_gaps=options.fill_gaps, min_bars=options.min_bars
    )
    return LoadResult(bars, repairs)


def load_bars(path: str | Path, **options: object) -> Bars:
    """Shorthand for ``read_bars(path, LoadOptions(**options)).bars``."""
    return read_bars(path, LoadOptions(**options)).bars  # type: ignore[arg-type]


def _read_csv(path: Path) -> pa.Table:
    """Read every column as text; typed conversion happens per column so errors can name the row."""
    names = pacsv.open_csv(path).schema.names
    types = {name: pa.string() for name in names}
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True))


def _read_parquet(path: Path, source: str) -> pa.Table:
    """Read only the columns the loader uses. ``ParquetFile`` reads the one file directly: ``pq.read_table`` goes
    through ``pyarrow.dataset``, whose import also pulls in pandas (about 0.1 s of every process start)."""
    with pq.ParquetFile(path) as parquet:
        names = parquet.schema_arrow.names
        return parquet.read(columns=list(_columns_by_name(names, source).values()))


def _columns_by_name(column_names: list[str], source: str) -> dict[str, str]:
    """Our column name -> the file's column name (the first case-insensitive match)."""
    lower: dict[str, str] = {}
    for name in column_names:
        lower.setdefault(name.strip().lower(), name)
    wanted = [next((lower[c] for c in TIME_COLUMNS if c in lower), None)] + [lower.get(c) for c in PRICE_FIELDS]
    missing = [label for label, found in zip(("timestamp", *PRICE_FIELDS), wanted, strict=True) if found is None]
    if missing:
        raise DataError(
            source,
            f"missing required column(s): {', '.join(missing)}",
            detail=f"found columns: {', '.join(column_names) or '(none)'}",
        )
    mapping = dict(zip(("timestamp", *PRICE_FIELDS), wanted, strict=True))
    if FUNDING in lower:
        mapping[FUNDING] = lower[FUNDING]
    return mapping  # type: ignore[return-value]


def _to_bars(table: pa.Table, source: str, symbol: str) -> Bars:
    mapping = _columns_by_name(table.column_names, source)
    timestamp = _to_epoch_ns(table.column(mapping["timestamp"]), source)
    values = {name: _to_float(table.column(mapping[name]), name, source) for name in PRICE_FIELDS}
    funding = _to_float(table.column(mapping[FUNDING]), FUNDING, source) if FUNDING in mapping else None
    return Bars.from_arrays(timestamp, funding_rate=funding, symbol=symbol, source=source, **values)


def _to_numpy(column: pa.ChunkedArray, dtype: type[np.generic]) -> np.ndarray:
    """A fresh, writable numpy copy of a null-free fixed-width column whose Arrow type matches ``dtype``.

    Reads the Arrow data buffer directly because pyarrow's ``to_numpy``/``__array__`` import pandas on first use
    (about 0.1 s of every process that loads a file)."""
    array = column.combine_chunks()
    if array.null_count:
        raise ValueError("_to_numpy needs a column without nulls")
    if len(array) == 0:
        return np.empty(0, dtype=dtype)
    size = np.dtype(dtype).itemsize
    return np.frombuffer(array.buffers()[1], dtype=dtype, count=len(array), offset=array.offset * size).copy()


def _nulls_to_nan(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Empty cells as NaN. Skipped when there are none: making the NaN fill value imports pandas, like ``to_numpy``."""
    return column.fill_null(np.nan) if column.null_count else column


def _first_failure(column: pa.ChunkedArray, convert: Callable[[Any], object]) -> int:
    """Index of the first value ``convert`` rejects (the slow path, only taken after a failed bulk cast)."""
    for index, value in enumerate(column.to_pylist()):
        if value is None:
            continue
        try:
            convert(value)
        except (ValueError, TypeError, OverflowError, pa.ArrowInvalid):
            return index
    return 0


def _to_float(column: pa.ChunkedArray, name: str, source: str) -> np.ndarray:
    """Float64 values; empty cells become NaN (refused by validation as missing)."""
    if pa.types.is_floating(column.type) or pa.types.is_integer(column.type) or pa.types.is_decimal(column.type):
        return _to_numpy(_nulls_to_nan(column.cast(pa.float64())), np.float64)
    try:
        return _to_numpy(_nulls_to_nan(pc.cast(column, pa.float64())), np.float64)
    except pa.ArrowInvalid:
        bad = _first_failure(column, float)
        value = column[bad].as_py()
        raise DataError(source, f"{name} is not a number", row=bad + FIRST_DATA_ROW, detail=repr(value)) from None


def _epoch_unit_multiplier(values: np.ndarray) -> int:
    magnitude = np.abs(values).max() if values.size else 0
    if magnitude < 1e11:
        return 1_000_000_000
    if magnitude < 1e14:
        return 1_000_000
    if magnitude < 1e17:
        return 1_000
    return 1


def _to_epoch_ns(column: pa.ChunkedArray, source: str) -> np.ndarray:
    """UTC nanoseconds since the epoch."""
    if column.null_count:
        index = int(np.argmax(column.is_null().to_numpy(zero_copy_only=False)))
        raise DataError(source, f"timestamp {RULE_NOT_FINITE}", row=index + FIRST_DATA_ROW)
    kind = column.type
    if pa.types.is_integer(kind):
        values = _to_numpy(column.cast(pa.int64(), safe=False), np.int64)
        return values * _epoch_unit_multiplier(values)
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        as_ns = pa.timestamp("ns", tz="UTC") if pa.types.is_timestamp(kind) else pa.timestamp("ns")
        return _to_numpy(column.cast(as_ns).cast(pa.int64()), np.int64)
    text = pc.utf8_trim_whitespace(column)
    if pc.all(pc.match_substring_regex(text, r"^-?\d+$")).as_py():
        return _to_epoch_ns(pc.cast(text, pa.int64()), source)
    try:
        parsed = pc.cast(pc.cast(text, pa.timestamp("ns", tz="UTC")), pa.int64())
    except pa.ArrowInvalid:
        try:
            parsed = pc.cast(pc.cast(text, pa.timestamp("ns")), pa.int64())
        except pa.ArrowInvalid:
            bad = _first_failure(text, lambda v: np.datetime64(v.rstrip("Zz"), "ns"))
            raise DataError(
                source, "timestamp is not a date/time", row=bad + FIRST_DATA_ROW, detail=repr(text[bad].as_py())
            ) from None
    return _to_numpy(parsed, np.int64)


def bars_to_table(bars: Bars) -> pa.Table:
    """The table written for ``bars``: ISO-8601 UTC timestamps, then the columns in canonical order."""
    columns = {"timestamp": pa.array(bars.timestamp, pa.int64()).cast(pa.timestamp("ns", tz="UTC"))}
    columns.update({name: pa.array(getattr(bars, name)) for name in PRICE_FIELDS})
    if bars.funding_rate is not None:
        columns[FUNDING] = pa.array(bars.funding_rate)
    return pa.table(columns)


def _iso_seconds(timestamps: np.ndarray) -> np.ndarray:
    unit: Literal["s", "ns"] = "s" if not np.any(timestamps % 1_000_000_000) else "ns"
    instants: npt.NDArray[np.datetime64] = timestamps.view("datetime64[ns]").astype(f"datetime64[{unit}]")
    return np.char.add(np.datetime_as_string(instants, unit=unit), "Z")


def write_bars(bars: Bars, path: str | Path) -> None:
    """Write ``bars`` as CSV (ISO-8601 UTC timestamps, shortest round-trip floats) or Parquet; byte-reproducible."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DataError(
            str(path), f"unsupported output type {suffix or '(none)'!r}; expected one of {', '.join(SUFFIXES)}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    table = bars_to_table(bars)
    if suffix == ".csv":
        table = table.set_column(0, "timestamp", pa.array(_iso_seconds(bars.timestamp).astype(object), pa.string()))
        pacsv.write_csv(table, path, write_options=pacsv.WriteOptions(quoting_style="none"))
    else:
        pq.write_table(table, path, compression="zstd")
