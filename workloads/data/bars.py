"""The :class:`Bars` type: one symbol's OHLCV series as contiguous arrays, ready for Numba kernels.

Conventions:
- ``timestamp`` is int64 nanoseconds since the Unix epoch, UTC, strictly increasing; a bar's timestamp is its open
  time.
- ``open, high, low, close, volume`` are C-contiguous float64 arrays of the same length.
- ``funding_rate`` is the perpetual-swap funding rate paid over the bar (fraction of notional, float64), or ``None``
  when the data has none.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

PRICE_FIELDS: tuple[str, ...] = ("open", "high", "low", "close", "volume")


def _as_f64(name: str, values: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"Bars.{name} must be one-dimensional, got shape {array.shape}")
    return array


@dataclass(frozen=True)
class Bars:
    """One symbol's bars. Construct through a loader or :meth:`from_arrays`; arrays are never copied afterwards."""

    timestamp: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    funding_rate: np.ndarray | None = None
    symbol: str = ""
    source: str = field(default="", compare=False)

    @classmethod
    def from_arrays(
        cls,
        timestamp: np.ndarray,
        open: np.ndarray,
        high: np.ndarray,
        low: np.ndarray,
        close: np.ndarray,
        volume: np.ndarray,
        funding_rate: np.ndarray | None = None,
        symbol: str = "",
        source: str = "",
    ) -> Bars:
        """Build bars from array-likes, coercing dtypes and contiguity; shapes must agree."""
        ts = np.ascontiguousarray(timestamp, dtype=np.int64)
        columns = {
            name: _as_f64(name, values)
            for name, values in zip(PRICE_FIELDS, (open, high, low, close, volume), strict=True)
        }
        funding = None if funding_rate is None else _as_f64("funding_rate", funding_rate)
        for name, array in (*columns.items(), ("funding_rate", funding)):
            if array is not None and array.shape != ts.shape:
                raise ValueError(f"Bars.{name} has {array.shape[0]} values but timestamp has {ts.shape[0]}")
        return cls(timestamp=ts, funding_rate=funding, symbol=symbol, source=source, **columns)

    def __len__(self) -> int:
        return int(self.timestamp.shape[0])

    @property
    def has_funding(self) -> bool:
        return self.funding_rate is not None

    def funding_or_zeros(self) -> np.ndarray:
        """The funding-rate array, or zeros when the data has none (kernels take a plain array)."""
        return self.funding_rate if self.funding_rate is not None else np.zeros(len(self), dtype=np.float64)

    def slice(self, start: int, stop: int) -> Bars:
        """Bars ``[start, stop)`` as views (still contiguous)."""
        funding = None if self.funding_rate is None else self.funding_rate[start:stop]
        return Bars(
            timestamp=self.timestamp[start:stop],
            open=self.open[start:stop],
            high=self.high[start:stop],
            low=self.low[start:stop],
            close=self.close[start:stop],
            volume=self.volume[start:stop],
            funding_rate=funding,
            symbol=self.symbol,
            source=self.source,
        )

    def fingerprint(self) -> str:
        """A content hash (hex SHA-256 prefix) that identifies the data set in caches and run records."""
        import hashlib

        digest = hashlib.sha256()
        digest.update(self.symbol.encode())
        for array in (self.timestamp, self.open, self.high, self.low, self.close, self.volume):
            digest.update(array.tobytes())
        if self.funding_rate is not None:
            digest.update(self.funding_rate.tobytes())
        return digest.hexdigest()[:32]
