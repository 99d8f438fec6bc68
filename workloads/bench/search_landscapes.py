"""The landscapes the search bench runs on: planted-edge synthetic data and real data shipped by backtesting.py.

Each landscape gives, for a repetition ``r``, the bars searched:

- ``trend``: ``generate(bars, 2000 + r, funding=True, edge="trend", edge_strength=0.5)``, an easy planted trend that
  every trend follower earns (a broad optimum);
- ``weak-trend``: the same generator at strength 0.1: a weak trend, small against the noise, so the top of a
  seed's landscape is as much noise as edge;
- ``reversion``: a planted Ornstein–Uhlenbeck reversion of strength 0.3: mean reverters earn it in narrow bands of
  their parameters;
- ``goog``: Alphabet daily bars 2004–2013 (2,148 bars) and ``eurusd``: EUR/USD hourly bars 2017–2018 (5,000 bars),
  the test data sets that backtesting.py ships (``backtesting.test.GOOG``, ``EURUSD``), read from the installed
  package at bench time (the ``bench`` extra) and never copied here. Real data is one path: its repetitions differ
  only in the methods' random seeds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from workloads.data.bars import Bars
from workloads.data.synthetic import generate


@dataclass(frozen=True)
class Landscape:
    """A named data set family: ``load(repetition, synthetic_bars)`` gives the bars of one repetition."""

    name: str
    description: str
    synthetic: bool
    load: Callable[[int, int], Bars]


def _planted(edge: str, strength: float) -> Callable[[int, int], Bars]:
    def load(repetition: int, n_bars: int) -> Bars:
        return generate(n_bars, 2000 + repetition, funding=True, edge=edge, edge_strength=strength)

    return load


def _backtesting_py(attribute: str, symbol: str) -> Callable[[int, int], Bars]:
    def load(repetition: int, n_bars: int) -> Bars:
        try:
            import backtesting.test as shipped
        except ImportError as exc:
            raise RuntimeError(
                f"the {symbol} landscape reads backtesting.py's test data: install the bench extra "
                "(pip install 'genepool[bench]') or leave it out with --search-landscapes"
            ) from exc
        frame = getattr(shipped, attribute)
        timestamp = frame.index.as_unit("ns").asi8
        return Bars.from_arrays(
            timestamp,
            frame["Open"].to_numpy(),
            frame["High"].to_numpy(),
            frame["Low"].to_numpy(),
            frame["Close"].to_numpy(),
            np.asarray(frame["Volume"].to_numpy(), dtype=np.float64),
            symbol=symbol,
            source=f"backtesting.test.{attribute}",
        )

    return load


LANDSCAPES: dict[str, Landscape] = {
    landscape.name: landscape
    for landscape in (
        Landscape("trend", "planted trend 0.5 (easy)", True, _planted("trend", 0.5)),
        Landscape("weak-trend", "planted trend 0.1 (weak)", True, _planted("trend", 0.1)),
        Landscape("reversion", "planted reversion 0.3 (narrow optima)", True, _planted("reversion", 0.3)),
        Landscape("goog", "GOOG daily 2004-2013 (backtesting.py)", False, _backtesting_py("GOOG", "GOOG")),
        Landscape("eurusd", "EUR/USD hourly 2017-2018 (backtesting.py)", False, _backtesting_py("EURUSD", "EURUSD")),
    )
}


def landscapes(names: str | tuple[str, ...]) -> list[Landscape]:
    """The landscapes named (comma-separated or a tuple), in the order given; an unknown name is a ``ValueError``."""
    wanted = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
    unknown = [n for n in wanted if n not in LANDSCAPES]
    if unknown:
        raise ValueError(f"--search-landscapes: unknown {', '.join(unknown)}; known: {', '.join(LANDSCAPES)}")
    return [LANDSCAPES[n] for n in wanted]
