"""The Deflated Sharpe Ratio (Bailey & López de Prado, "The Deflated Sharpe Ratio: Correcting for Selection Bias,
Backtest Overfitting and Non-Normality", 2014).

All Sharpe ratios here are **per period** (per bar: mean / std of bar returns, not annualised). With

- ``SR*``: the selected strategy's Sharpe ratio over ``T`` returns, with skewness ``γ3`` and *raw* (non-excess)
  kurtosis ``γ4`` (3 for a normal distribution),
- ``N``: the number of independent trials (distinct genomes evaluated),
- ``V``: the variance of the Sharpe ratios across the trials,

the expected maximum Sharpe ratio of ``N`` zero-skill trials is (γ = Euler–Mascheroni constant, Φ⁻¹ the normal
quantile function)::

    SR0 = sqrt(V) * ((1 - γ) * Φ⁻¹(1 - 1/N) + γ * Φ⁻¹(1 - 1/(N·e)))

and the DSR is the probabilistic Sharpe ratio of ``SR*`` against ``SR0``::

    DSR = Φ( (SR* - SR0) * sqrt(T - 1) / sqrt(1 - γ3·SR* + (γ4 - 1)/4 · SR*²) )

the probability that the true Sharpe ratio exceeds what the best of ``N`` lucky trials would show. Worked example
(the paper's): annual SR 2.5 over T = 1250 daily returns (250 a year), N = 100, V = 0.5 (annual²), γ3 = -3,
γ4 = 10 ⇒ SR0 ≈ 0.11317 per day and DSR ≈ 0.9004.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

EULER_GAMMA = 0.5772156649015329


def expected_max_sharpe(n_trials: int, sharpe_variance: float) -> float:
    """``SR0``: the expected maximum of ``n_trials`` zero-skill Sharpe ratios whose variance is ``sharpe_variance``
    (same units as that variance's square root). One trial (or none) gives 0."""
    if n_trials < 2 or sharpe_variance <= 0:
        return 0.0
    z1 = stats.norm.ppf(1.0 - 1.0 / n_trials)
    z2 = stats.norm.ppf(1.0 - 1.0 / (n_trials * math.e))
    return float(math.sqrt(sharpe_variance) * ((1.0 - EULER_GAMMA) * z1 + EULER_GAMMA * z2))


def probabilistic_sharpe(sharpe: float, benchmark: float, n_returns: int, skewness: float, kurtosis: float) -> float:
    """PSR: probability that the true per-period Sharpe ratio exceeds ``benchmark``, given the observed ``sharpe``
    over ``n_returns`` returns with ``skewness`` and raw ``kurtosis``. ``nan`` with fewer than 2 returns."""
    if n_returns < 2 or not math.isfinite(sharpe):
        return math.nan
    denominator = 1.0 - skewness * sharpe + (kurtosis - 1.0) / 4.0 * sharpe * sharpe
    if not denominator > 0:
        return math.nan
    return float(stats.norm.cdf((sharpe - benchmark) * math.sqrt(n_returns - 1) / math.sqrt(denominator)))


def deflated_sharpe(
    sharpe: float, n_returns: int, skewness: float, kurtosis: float, n_trials: int, sharpe_variance: float
) -> tuple[float, float]:
    """``(DSR, SR0)`` for a per-period ``sharpe`` selected among ``n_trials`` whose per-period variance is
    ``sharpe_variance``."""
    sr0 = expected_max_sharpe(n_trials, sharpe_variance)
    return probabilistic_sharpe(sharpe, sr0, n_returns, skewness, kurtosis), sr0


def return_moments(returns: np.ndarray) -> tuple[float, float, float, int]:
    """``(per-period Sharpe, skewness, raw kurtosis, T)`` of a return series (Sharpe with ddof=1, like the
    kernels; moments are the population ones the paper uses). Zero variance gives Sharpe 0, skew 0, kurtosis 3."""
    r = np.asarray(returns, dtype=np.float64)
    t = int(r.shape[0])
    if t < 2:
        return 0.0, 0.0, 3.0, t
    std = float(np.std(r, ddof=1))
    if std == 0.0 or not math.isfinite(std):
        return 0.0, 0.0, 3.0, t
    centred = r - r.mean()
    m2 = float(np.mean(centred**2))
    skew = float(np.mean(centred**3) / m2**1.5)
    kurt = float(np.mean(centred**4) / m2**2)
    return float(r.mean() / std), skew, kurt, t
