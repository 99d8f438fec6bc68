"""The Deflated Sharpe Ratio (Bailey & López de Prado, "The Deflated Sharpe Ratio: Correcting for Selection Bias,
Backtest Overfitting and Non-Normality", 2014), with the null of zero skill made explicit.

Units: every Sharpe ratio here is **per period** (per bar: mean / std of bar returns, ddof = 1, not annualised); a
variance of a Sharpe ratio is in per-period² units. Annualised figures are converted by ``/ sqrt(bars_per_year)``
(a Sharpe ratio) or ``/ bars_per_year`` (its variance) before they reach this module. With

- ``SR*``: the selected strategy's Sharpe ratio over ``T`` returns, with skewness ``γ3`` and *raw* (non-excess)
  kurtosis ``γ4`` (3 for a normal distribution),
- ``E[max_N]``: the expected maximum of ``N`` independent standard normals, in the paper's approximation
  (γ = Euler–Mascheroni constant, Φ⁻¹ the normal quantile function)::

      E[max_N] ≈ (1 - γ) · Φ⁻¹(1 - 1/N) + γ · Φ⁻¹(1 - 1/(N·e))          (0 for N <= 1)

- the probabilistic Sharpe ratio of ``SR*`` against a benchmark ``SR0`` (Lo 2002 / Mertens 2002 standard error)::

      PSR(SR0) = Φ( (SR* - SR0) · sqrt(T - 1) / sqrt(1 - γ3·SR* + (γ4 - 1)/4 · SR*²) )

two deflations are computed, differing only in ``SR0``, the Sharpe ratio the best of the trials would show by luck:

**DSR (the gate, :func:`null_deflated_sharpe`)**. Under the null (true Sharpe 0) the Lo/Mertens variance of the
per-period Sharpe estimator over ``T`` returns is ``(1 - γ3·0 + (γ4 - 1)/4 · 0²) / (T - 1) = 1 / (T - 1)``, so the
best of ``N_eff`` independent zero-skill trials is expected at::

    SR0 = sqrt(1 / (T - 1)) · E[max_{N_eff}]                              (per period)

``N_eff`` is the effective number of independent trials, from the trials' average pairwise return correlation
``ρ̄`` (an average-correlation estimate, linear between 1 trial when all ``M`` are perfectly correlated and ``M``
when they are independent)::

    N_eff = ρ̄ + (1 - ρ̄) · M,   clipped to [n_lower, M]

``ρ̄`` is measured on a sample of the trials' return series (:func:`average_correlation`; negative correlations
count as 0, so anti-correlated trials are treated as independent, never as the same trial) and ``n_lower`` is the
number of strategy seeds searched (different rules are at least that many trials).

**DSR, conservative (:func:`deflated_sharpe`)**. The paper's cross-sectional form: ``SR0 = sqrt(V) · E[max_M]``
with ``V`` the variance of the Sharpe ratios across all ``M`` trials. When the trials include real edges (or their
mirror images) ``V`` is inflated by them, so it can refuse even a genuine edge; it is reported beside the gate as
``dsr_conservative``, never used to promote.

Worked example (the paper's): annual SR 2.5 over T = 1250 daily returns (250 a year), N = 100, V = 0.5 (annual²),
γ3 = -3, γ4 = 10 ⇒ SR0 ≈ 0.11317 per day and DSR ≈ 0.9004.

Flat series (zero variance, e.g. a genome that never trades) have no Sharpe ratio: their moments are Sharpe 0,
skew 0, kurtosis 3, and they are left out of ``ρ̄`` (they still count in ``M``).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

EULER_GAMMA = 0.5772156649015329


def expected_max_normal(n: float) -> float:
    """``E[max_n]``: the expected maximum of ``n`` independent standard normals (the paper's approximation; ``n``
    may be fractional, as an effective count is). 0 for ``n <= 1``."""
    if not n > 1:
        return 0.0
    z1 = stats.norm.ppf(1.0 - 1.0 / n)
    z2 = stats.norm.ppf(1.0 - 1.0 / (n * math.e))
    return float((1.0 - EULER_GAMMA) * z1 + EULER_GAMMA * z2)


def expected_max_sharpe(n_trials: float, sharpe_variance: float) -> float:
    """``SR0 = sqrt(sharpe_variance) · E[max_n_trials]`` (same units as the square root of the variance). One trial
    (or none), or no variance, gives 0."""
    if sharpe_variance <= 0:
        return 0.0
    return float(math.sqrt(sharpe_variance) * expected_max_normal(n_trials))


def null_sharpe_variance(n_returns: int) -> float:
    """Variance of the per-period Sharpe estimator over ``n_returns`` returns when the true Sharpe is 0:
    ``1 / (T - 1)`` (per period²). ``inf`` with fewer than 2 returns."""
    return 1.0 / (n_returns - 1) if n_returns > 1 else math.inf


def effective_trials(mean_correlation: float, n_trials: int, n_lower: int = 1) -> float:
    """``N_eff = ρ̄ + (1 - ρ̄) · M`` clipped to ``[min(n_lower, M), M]``; ``ρ̄`` is clipped to ``[0, 1]`` first
    (a non-finite ``ρ̄``, i.e. no measurable correlation, counts as independent trials)."""
    if n_trials < 1:
        return 0.0
    rho = min(1.0, max(0.0, mean_correlation)) if math.isfinite(mean_correlation) else 0.0
    estimate = rho + (1.0 - rho) * n_trials
    return float(min(n_trials, max(min(n_lower, n_trials), estimate)))


def average_correlation(returns: np.ndarray) -> float:
    """``ρ̄``: the mean over distinct pairs of ``max(0, corr)`` (Pearson) of the rows of ``returns`` (``(k, T)``, one
    trial's per-period returns per row). Rows with zero variance are left out; ``nan`` when fewer than two rows
    remain."""
    r = np.asarray(returns, dtype=np.float64)
    if r.ndim != 2:
        raise ValueError(f"returns must be (trials, periods), got shape {r.shape}")
    r = r[np.std(r, axis=1) > 0]
    k = r.shape[0]
    if k < 2:
        return math.nan
    # einsum without path optimisation sums in a fixed order (a BLAS product's order can depend on its threads):
    # the same trials give bit-identical N_eff in any process.
    centred = r - r.mean(axis=1, keepdims=True)
    norms = np.sqrt(np.einsum("ij,ij->i", centred, centred, optimize=False))
    corr = np.einsum("ij,kj->ik", centred, centred, optimize=False) / np.outer(norms, norms)
    upper = corr[np.triu_indices(k, 1)]
    return float(np.mean(np.maximum(upper, 0.0)))


def probabilistic_sharpe(sharpe: float, benchmark: float, n_returns: int, skewness: float, kurtosis: float) -> float:
    """PSR: probability that the true per-period Sharpe ratio exceeds ``benchmark``, given the observed ``sharpe``
    over ``n_returns`` returns with ``skewness`` and raw ``kurtosis``. ``nan`` with fewer than 2 returns."""
    if n_returns < 2 or not math.isfinite(sharpe):
        return math.nan
    denominator = 1.0 - skewness * sharpe + (kurtosis - 1.0) / 4.0 * sharpe * sharpe
    if not denominator > 0:
        return math.nan
    return float(stats.norm.cdf((sharpe - benchmark) * math.sqrt(n_returns - 1) / math.sqrt(denominator)))


def null_deflated_sharpe(
    sharpe: float, n_returns: int, skewness: float, kurtosis: float, n_effective: float
) -> tuple[float, float]:
    """``(DSR, SR0)`` against the best of ``n_effective`` zero-skill trials:
    ``SR0 = sqrt(1 / (T - 1)) · E[max_N_eff]`` (per period)."""
    sr0 = expected_max_sharpe(n_effective, null_sharpe_variance(n_returns)) if n_returns > 1 else math.nan
    return probabilistic_sharpe(sharpe, sr0, n_returns, skewness, kurtosis), sr0


def deflated_sharpe(
    sharpe: float, n_returns: int, skewness: float, kurtosis: float, n_trials: int, sharpe_variance: float
) -> tuple[float, float]:
    """``(DSR, SR0)`` for a per-period ``sharpe`` selected among ``n_trials`` whose cross-sectional per-period
    variance is ``sharpe_variance`` (the conservative form of the module doc)."""
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
