"""CSV and Parquet loaders with strict validation (docs/data.md#validation), and the writer used by ``data generate``.

Columns are matched case-insensitively: the time column is the first of ``timestamp``, ``date``, ``time``; then
``open, high, low, close, volume`` (required) and ``funding_rate`` (optional). Other columns are ignored; an
adjusted-close column (``Adj Close``, ``adj_close``, ``adjusted close``…) is ignored *with a warning*: prices are
read as given in open/high/low/close, not adjusted for splits and dividends (docs/data.md#validation).

Time values may be ISO-8601 text (a trailing ``Z`` or offset is honoured; naive times are taken as UTC, also when
mixed with offset times in one column), dates, Arrow timestamps, or integer epochs whose unit is told by magnitude:
seconds (< 1e11), milliseconds (< 1e14), microseconds (< 1e17), else nanoseconds. Every value of a column must have
the same unit (a column mixing them is refused, naming the first row whose unit differs from the first row's), and
a time that int64 nanoseconds cannot represent (before 1677-09-21 or after 2262-04-11) is refused, naming its row.
Any other column type (floats, binary, durations, nested types…) is refused naming the column and its type.

Rows are numbered as a spreadsheet shows them (:mod:`workloads.data.errors`): for CSV, a blank line counts as a row
and a quoted field spanning several lines stays in one row. Arrow skips blank lines, so a row number found in the
parsed table is mapped back through the file (only when an error is reported).
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from workloads.data.bars import PRICE_FIELDS, Bars
from workloads.data.errors import FIRST_DATA_ROW, DataError
from workloads.data.validate import DEFAULT_MIN_BARS, RULE_NOT_FINITE, RepairReport, validate

log = logging.getLogger(__name__)

TIME_COLUMNS = ("timestamp", "date", "time")
ADJUSTED_CLOSE = frozenset({"adjclose", "adjustedclose"})
"""Names of an adjusted-close column once lower-cased with spaces, ``_`` and ``-`` removed."""
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
    """The bars, what was repaired, and notes on what was read differently from what the file may suggest."""

    bars: Bars
    repairs: RepairReport
    notes: tuple[str, ...] = ()


def ignored_column_notes(names: list[str], source: str) -> tuple[str, ...]:
    """A note for each adjusted-close column among ``names`` (they are ignored: see the module doc)."""
    return tuple(
        f"{source}: column {name.strip()!r} is ignored: prices are read from open/high/low/close as given, not "
        "adjusted for splits and dividends (adjust those columns before loading to use adjusted prices)"
        for name in names
        if name.strip().lower().replace(" ", "").replace("_", "").replace("-", "") in ADJUSTED_CLOSE
    )


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
        table = _read_csv(path, source) if suffix == ".csv" else _read_parquet(path, source)
    except UnicodeDecodeError as exc:
        raise DataError(source, "cannot be read as " + suffix.lstrip("."), detail=f"not UTF-8 text: {exc}") from None
    except (pa.ArrowException, OSError) as exc:
        detail = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise DataError(source, "cannot be read as " + suffix.lstrip("."), detail=detail) from None
    try:
        bars = _to_bars(table, source, options.symbol or path.stem)
        bars, repairs = validate(
            bars, drop_invalid=options.drop_invalid, fill_gaps=options.fill_gaps, min_bars=options.min_bars
        )
    except DataError as exc:
        if suffix == ".csv" and exc.row is not None:
            exc.row = _spreadsheet_row(path, exc.row)
        raise
    if suffix == ".csv" and repairs.dropped_rows:
        repairs.dropped_rows = {rule: _spreadsheet_rows(path, rows) for rule, rows in repairs.dropped_rows.items()}
    notes = ignored_column_notes(table.column_names, source)
    for note in notes:
        log.warning("%s", note)
    return LoadResult(bars, repairs, notes)


def _spreadsheet_rows(path: Path, table_rows: list[int]) -> list[int]:
    """Spreadsheet rows of the CSV records Arrow numbered ``table_rows`` (header = 1, blank lines skipped): a blank
    line is a row of its own, a quoted multi-line field stays in its record's row."""
    wanted = sorted(set(table_rows))
    found: dict[int, int] = {}
    record = 0
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        for spreadsheet_row, fields in enumerate(csv.reader(handle), start=1):
            if not fields:
                continue
            record += 1
            if record in wanted:
                found[record] = spreadsheet_row
                if len(found) == len(wanted):
                    break
    return [found.get(row, row) for row in table_rows]


def _spreadsheet_row(path: Path, table_row: int) -> int:
    return _spreadsheet_rows(path, [table_row])[0]


def load_bars(path: str | Path, **options: object) -> Bars:
    """Shorthand for ``read_bars(path, LoadOptions(**options)).bars``."""
    return read_bars(path, LoadOptions(**options)).bars  # type: ignore[arg-type]


def _read_csv(path: Path, source: str) -> pa.Table:
    """Read every column as text; typed conversion happens per column so errors can name the row."""
    with path.open("rb") as handle:
        handle.readline().decode("utf-8")
    names = pacsv.open_csv(path).schema.names
    _refuse_duplicates(names, source)
    types = {name: pa.string() for name in names}
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True))


def _refuse_duplicates(names: list[str], source: str) -> None:
    """Column names must be unique (case-insensitively, surrounding spaces ignored): which one would be read?"""
    seen: dict[str, str] = {}
    for name in names:
        key = name.strip().lower()
        if key in seen:
            raise DataError(source, f"duplicate column name {name.strip()!r}", row=1, detail=f"also {seen[key]!r}")
        seen[key] = name


def _read_parquet(path: Path, source: str) -> pa.Table:
    """Read only the columns the loader uses. ``ParquetFile`` reads the one file directly: ``pq.read_table`` goes
    through ``pyarrow.dataset``, whose import also pulls in pandas (about 0.1 s of every process start)."""
    with pq.ParquetFile(path) as parquet:
        names = parquet.schema_arrow.names
        _refuse_duplicates(names, source)
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


def _first_failure(column: pa.ChunkedArray | pa.Array, convert: Callable[[pa.Array], object]) -> int:
    """Index of the first value ``convert`` (the same Arrow conversion that failed in bulk) rejects, found by
    bisection (the slow path, only taken after a failed bulk conversion)."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    start, stop = 0, len(array)
    while stop - start > 1:
        middle = (start + stop) // 2
        try:
            convert(array.slice(start, middle - start))
        except (pa.ArrowInvalid, DataError):
            stop = middle
        else:
            start = middle
    return start


def _to_float(column: pa.ChunkedArray, name: str, source: str) -> np.ndarray:
    """Float64 values; empty cells become NaN (refused by validation as missing). A float64 column is read as it is:
    casting it (a no-op) would import ``pyarrow.compute`` (about 0.03 s of every process that loads a file)."""
    kind = column.type
    if kind == pa.float64():
        return _to_numpy(_nulls_to_nan(column), np.float64)
    if pa.types.is_floating(kind) or pa.types.is_integer(kind) or pa.types.is_decimal(kind):
        return _to_numpy(_nulls_to_nan(column.cast(pa.float64(), safe=False)), np.float64)
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_null(kind)):
        raise DataError(source, f"{name} column has unsupported type {kind}", detail="expected numbers or text")
    import pyarrow.compute as pc

    try:
        return _to_numpy(_nulls_to_nan(pc.cast(column, pa.float64())), np.float64)
    except pa.ArrowInvalid:
        bad = _first_failure(column, lambda part: pc.cast(part, pa.float64()))
        value = column[bad].as_py()
        raise DataError(source, f"{name} is not a number", row=bad + FIRST_DATA_ROW, detail=repr(value)) from None


EPOCH_UNITS = ((1e11, 1_000_000_000, "seconds"), (1e14, 1_000_000, "milliseconds"), (1e17, 1_000, "microseconds"))
"""(magnitude below which, ns per unit, unit name); anything larger is nanoseconds."""
_INT64_MAX = np.iinfo(np.int64).max
OUT_OF_RANGE = "timestamp out of range (int64 nanoseconds reach 1677-09-21 to 2262-04-11)"
"""The rule a time breaks when int64 nanoseconds since the epoch cannot hold it."""
_OFFSET = r"[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|z|[+-]\d{2}(:?\d{2})?)$"
"""An ISO time of day ending in ``Z`` or an offset (a naive time or a date has none)."""


def _unit_index(values: np.ndarray) -> np.ndarray:
    """Per value, the index of its unit in :data:`EPOCH_UNITS` (``len(EPOCH_UNITS)`` for nanoseconds)."""
    magnitude = np.abs(values.astype(np.float64))
    return np.searchsorted(np.array([limit for limit, _, _ in EPOCH_UNITS]), magnitude, side="right")


def _unit_name(index: int) -> str:
    return EPOCH_UNITS[index][2] if index < len(EPOCH_UNITS) else "nanoseconds"


def _epoch_to_ns(values: np.ndarray, source: str) -> np.ndarray:
    """Integer epochs (one unit for the whole column) as int64 ns; mixed units or overflow refused with the row."""
    if values.size == 0:
        return values.astype(np.int64)
    units = _unit_index(values)
    mixed = np.flatnonzero(units != units[0])
    if mixed.size:
        row = int(mixed[0])
        raise DataError(
            source,
            "mixed epoch units in the timestamp column",
            row=row + FIRST_DATA_ROW,
            detail=f"{int(values[row])} looks like {_unit_name(int(units[row]))}, the first row's "
            f"{int(values[0])} like {_unit_name(int(units[0]))}",
        )
    multiplier = EPOCH_UNITS[int(units[0])][1] if units[0] < len(EPOCH_UNITS) else 1
    too_large = np.flatnonzero(np.abs(values) > _INT64_MAX // multiplier)
    if too_large.size:
        row = int(too_large[0])
        raise DataError(
            source,
            OUT_OF_RANGE,
            row=row + FIRST_DATA_ROW,
            detail=f"{int(values[row])} {_unit_name(int(units[0]))}",
        )
    return values.astype(np.int64) * multiplier


def _refuse_out_of_range(over: pa.ChunkedArray, values: pa.ChunkedArray, source: str) -> None:
    """A :class:`DataError` naming the first row where ``over`` is true (a time int64 nanoseconds cannot hold)."""
    import pyarrow.compute as pc

    if pc.any(over).as_py():
        row = int(np.argmax(np.asarray(over.to_pylist(), dtype=bool)))
        raise DataError(
            source,
            OUT_OF_RANGE,
            row=row + FIRST_DATA_ROW,
            detail=repr(values[row].as_py()),
        )


def _integers(column: pa.ChunkedArray, source: str) -> np.ndarray:
    """An integer column as int64; unsigned values beyond int64 refused with the row."""
    if pa.types.is_unsigned_integer(column.type):
        import pyarrow.compute as pc

        _refuse_out_of_range(pc.greater(column, pa.scalar(_INT64_MAX, column.type)), column, source)
    return _to_numpy(column.cast(pa.int64()), np.int64)


def _raw(column: pa.ChunkedArray, index: int) -> int:
    """The stored integer of a timestamp or date value (Python's datetime cannot hold every one of them)."""
    value = column.combine_chunks().slice(index, 1)
    return int(value.view(pa.int32() if pa.types.is_date32(column.type) else pa.int64())[0].as_py())


def _parse_iso(text: pa.ChunkedArray | pa.Array) -> pa.Array:
    """ISO-8601 text as int64 ns UTC: values with ``Z``/an offset honour it, naive values and dates are UTC."""
    import pyarrow.compute as pc

    has_offset = pc.match_substring_regex(text, _OFFSET)
    aware = pc.cast(pc.if_else(has_offset, text, "1970-01-01T00:00:00Z"), pa.timestamp("ns", tz="UTC"))
    naive = pc.cast(pc.if_else(has_offset, "1970-01-01T00:00:00", text), pa.timestamp("ns"))
    return pc.if_else(has_offset, pc.cast(aware, pa.int64()), pc.cast(naive, pa.int64()))


def _to_epoch_ns(column: pa.ChunkedArray, source: str) -> np.ndarray:
    """UTC nanoseconds since the epoch. Arrow stores a timestamp of any time zone (or none) as UTC, so a nanosecond
    timestamp column is read as it is, without ``pyarrow.compute`` (see :func:`_to_float`)."""
    if column.null_count:
        index = int(np.argmax(column.is_null().to_numpy(zero_copy_only=False)))
        raise DataError(source, f"timestamp {RULE_NOT_FINITE}", row=index + FIRST_DATA_ROW)
    kind = column.type
    if pa.types.is_integer(kind):
        return _epoch_to_ns(_integers(column, source), source)
    if pa.types.is_timestamp(kind) and kind.unit == "ns":
        return _to_numpy(column, np.int64)
    import pyarrow.compute as pc

    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        as_ns = pa.timestamp("ns", tz="UTC") if pa.types.is_timestamp(kind) else pa.timestamp("ns")

        def convert(part: pa.ChunkedArray | pa.Array) -> pa.Array:
            return pc.cast(pc.cast(part, as_ns), pa.int64())

        try:
            return _to_numpy(convert(column), np.int64)
        except pa.ArrowInvalid:
            bad = _first_failure(column, convert)
            raise DataError(
                source,
                OUT_OF_RANGE,
                row=bad + FIRST_DATA_ROW,
                detail=f"{_raw(column, bad)} in Arrow type {kind}",
            ) from None
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        raise DataError(
            source,
            f"timestamp column has unsupported type {kind}",
            detail="expected ISO-8601 text, dates, Arrow timestamps or integer epochs",
        )
    text = pc.utf8_trim_whitespace(column)
    if pc.all(pc.match_substring_regex(text, r"^-?\d{1,19}$")).as_py():
        integers = pc.cast(text, pa.decimal128(20, 0))
        _refuse_out_of_range(pc.greater(pc.abs(integers), pa.scalar(_INT64_MAX, pa.decimal128(20, 0))), text, source)
        return _epoch_to_ns(_to_numpy(pc.cast(integers, pa.int64()), np.int64), source)
    try:
        return _to_numpy(_parse_iso(text), np.int64)
    except pa.ArrowInvalid:
        bad = _first_failure(text, _parse_iso)
        raise DataError(
            source, "timestamp is not a date/time", row=bad + FIRST_DATA_ROW, detail=repr(text[bad].as_py())
        ) from None


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
