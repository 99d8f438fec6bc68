"""A seeded, reproducible synthetic market: regime-switching geometric Brownian motion with volume and funding.

Three regimes (bull, bear, calm) follow a Markov chain whose dwell times are geometric with the mean durations in
:data:`REGIMES`. Within a regime, log returns are ``(mu - sigma²/2)·dt + sigma·√dt·z`` with annualised ``mu`` and
``sigma`` and ``dt`` the bar interval in years. Bars are built around the close path:

- open = previous close × a small gap (10% of the bar's volatility); the first open is the start price;
- high/low = max/min(open, close) stretched by half-normal wicks of half the bar's volatility;
- volume = lognormal base, scaled up with the size of the move and by the regime's activity;
- funding_rate (per bar, fraction of notional) = an AR(1) around the regime's mean rate, scaled from the usual
  8-hourly perpetual-swap funding to the bar interval.

A **planted edge** can be added to the close path (``edge``, ``edge_strength`` = s; σ̄ = the mean bar volatility
of the regimes the path visits, L = :data:`EDGE_BARS`), drawn from its own generator so the base path is unchanged:

- ``trend``: log returns gain a persistent drift ``d_t = φ·d_{t-1} + e_t`` (AR(1), φ = 1 - 1/L) whose stationary
  std is ``s·σ̄``: trend followers earn it;
- ``reversion``: log prices gain an Ornstein–Uhlenbeck deviation ``x_t = φ·x_{t-1} + e_t`` whose stationary std is
  ``s·σ̄·sqrt(L)``: moves away from the path tend to come back, mean reverters earn it;
- ``none`` (default): no edge.

The same ``random_seed`` and arguments give the same bars on every machine (numpy PCG64 via ``default_rng``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workloads.data.bars import Bars
from workloads.data.calendar import DAYS_PER_YEAR, DEFAULT_START, NS_PER_SECOND

DEFAULT_INTERVAL_SECONDS = 3600
START_PRICE = 100.0
BASE_VOLUME = 1_000.0
FUNDING_PERIOD_SECONDS = 8 * 3600
FUNDING_PERSISTENCE = 0.98
"""AR(1) coefficient of the funding rate per bar."""
EDGES = ("none", "trend", "reversion")
EDGE_BARS = 48
"""Persistence of a planted edge, in bars (φ = 1 - 1/EDGE_BARS)."""


@dataclass(frozen=True)
class Regime:
    """Annualised drift and volatility, mean dwell time in days, volume activity, mean 8-hourly funding rate."""

    name: str
    mu: float
    sigma: float
    mean_days: float
    activity: float
    funding_8h: float


REGIMES: tuple[Regime, ...] = (
    Regime("bull", mu=0.60, sigma=0.45, mean_days=45.0, activity=1.2, funding_8h=0.00015),
    Regime("bear", mu=-0.70, sigma=0.75, mean_days=25.0, activity=1.6, funding_8h=-0.00008),
    Regime("calm", mu=0.02, sigma=0.25, mean_days=60.0, activity=0.7, funding_8h=0.00005),
)
TRANSITIONS = np.array([[0.0, 0.5, 0.5], [0.5, 0.0, 0.5], [0.5, 0.5, 0.0]])
"""Probability of the next regime given the current one (rows sum to 1; no self-transitions)."""


def _regime_path(rng: np.random.Generator, n_bars: int, bars_per_day: float) -> np.ndarray:
    path = np.empty(n_bars, dtype=np.int64)
    position, regime = 0, int(rng.integers(len(REGIMES)))
    while position < n_bars:
        mean_bars = max(REGIMES[regime].mean_days * bars_per_day, 1.0)
        length = int(rng.geometric(1.0 / mean_bars)) if mean_bars > 1 else 1
        path[position : position + length] = regime
        position += length
        regime = int(rng.choice(len(REGIMES), p=TRANSITIONS[regime]))
    return path


def _ar1(rng: np.random.Generator, n_bars: int, std: float) -> np.ndarray:
    """An AR(1) path with coefficient ``1 - 1/EDGE_BARS`` started in its stationary law with std ``std``."""
    from scipy.signal import lfilter

    phi = 1.0 - 1.0 / EDGE_BARS
    innovations = rng.standard_normal(n_bars) * std * np.sqrt(1.0 - phi * phi)
    innovations[0] = rng.standard_normal() * std
    path: np.ndarray = lfilter([1.0], [1.0, -phi], innovations)
    return path


def planted_edge(random_seed: int, n_bars: int, edge: str, strength: float, bar_vol: float) -> np.ndarray:
    """The log-return component of a planted ``edge`` (see the module doc); zeros for ``none``."""
    if edge not in EDGES:
        raise ValueError(f"edge {edge!r}: must be one of {', '.join(EDGES)}")
    if not (np.isfinite(strength) and strength >= 0):
        raise ValueError(f"edge strength {strength!r}: must be a number >= 0")
    if edge == "none" or strength == 0:
        return np.zeros(n_bars)
    rng = np.random.default_rng([random_seed, 1])
    if edge == "trend":
        return _ar1(rng, n_bars, strength * bar_vol)
    deviation = _ar1(rng, n_bars, strength * bar_vol * np.sqrt(EDGE_BARS))
    return np.diff(deviation, prepend=0.0)


def generate(
    n_bars: int,
    random_seed: int,
    *,
    funding: bool = False,
    edge: str = "none",
    edge_strength: float = 0.0,
    interval_seconds: int = DEFAULT_INTERVAL_SECONDS,
    start: str = DEFAULT_START,
    symbol: str = "SYN",
) -> Bars:
    """``n_bars`` bars of a synthetic 24/7 market starting at ``start`` (UTC), one every ``interval_seconds``,
    with an optional planted ``edge`` of ``edge_strength`` (module doc)."""
    if n_bars < 1:
        raise ValueError(f"n_bars must be at least 1, got {n_bars}")
    if interval_seconds < 1:
        raise ValueError(f"interval_seconds must be at least 1, got {interval_seconds}")
    rng = np.random.default_rng(random_seed)
    dt = interval_seconds / (DAYS_PER_YEAR * 86_400)
    regimes = _regime_path(rng, n_bars, 86_400 / interval_seconds)
    mu = np.array([r.mu for r in REGIMES])[regimes]
    sigma = np.array([r.sigma for r in REGIMES])[regimes]
    bar_vol = sigma * np.sqrt(dt)

    shocks = rng.standard_normal((4, n_bars))
    log_returns = (mu - 0.5 * sigma**2) * dt + bar_vol * shocks[0]
    log_returns += planted_edge(random_seed, n_bars, edge, edge_strength, float(bar_vol.mean()))
    close = START_PRICE * np.exp(np.cumsum(log_returns))
    gaps = np.exp(0.1 * bar_vol * shocks[1])
    open_ = np.empty(n_bars)
    open_[0] = START_PRICE
    open_[1:] = close[:-1] * gaps[1:]
    high = np.maximum(open_, close) * np.exp(0.5 * bar_vol * np.abs(shocks[2]))
    low = np.minimum(open_, close) * np.exp(-0.5 * bar_vol * np.abs(shocks[3]))

    activity = np.array([r.activity for r in REGIMES])[regimes]
    move = np.abs(np.log(close / open_)) / bar_vol
    volume = BASE_VOLUME * activity * (1.0 + move) * rng.lognormal(0.0, 0.3, n_bars) * interval_seconds / 3600

    start_ns = int(np.datetime64(start, "ns").astype(np.int64))
    timestamp = start_ns + np.arange(n_bars, dtype=np.int64) * interval_seconds * NS_PER_SECOND

    funding_rate = None
    if funding:
        from scipy.signal import lfilter  # here, not at the top: importing scipy.signal takes ~0.9 s

        scale = interval_seconds / FUNDING_PERIOD_SECONDS
        mean_rate = np.array([r.funding_8h for r in REGIMES])[regimes] * scale
        noise = 0.00005 * scale * rng.standard_normal(n_bars)
        funding_rate = lfilter([1.0 - FUNDING_PERSISTENCE], [1.0, -FUNDING_PERSISTENCE], mean_rate) + noise
    return Bars.from_arrays(
        timestamp,
        open_,
        high,
        low,
        close,
        volume,
        funding_rate,
        symbol=symbol,
        source=_source(random_seed, edge, edge_strength),
    )


def _source(random_seed: int, edge: str, strength: float) -> str:
    if edge == "none" or strength == 0:
        return f"synthetic(seed={random_seed})"
    return f"synthetic(seed={random_seed}, edge={edge}, strength={strength:g})"
