"""The kernel targets of ``genepool bench`` in one table: each figure of the run against its target, met or not.

Rows (each only when its figure ran): the accounts pass in ns per individual-bar (every pass timed, the current one
against :data:`~workloads.bench.accounts.ACCOUNTS_TARGET_NS`); each fused seed's single-thread bar-evaluations/s
against :data:`~workloads.bench.kernels.PER_THREAD_TARGET`; the sweep's compute against vectorbt's
(:data:`SWEEP_RATIO_TARGET`); the sweep's compute per pair-bar on one thread against the accounts pass of the same
run (:data:`SWEEP_THREAD_RATIO_TARGET`, when both ran); ``genepool sweep``'s process overhead beyond the Numba
floor and its compute (:data:`SWEEP_OVERHEAD_TARGET_SECONDS`); the headline search (:data:`~workloads.bench.headline.
HEADLINE_TARGET_SECONDS`). The load average before and after the run is printed beside them: figures from a busy
machine are low.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

SWEEP_RATIO_TARGET = 300.0
"""Least ratio of vectorbt's sweep compute to genepool's."""
SWEEP_THREAD_RATIO_TARGET = 1.5
"""Most the sweep's compute per pair-bar per thread may cost, as a multiple of the accounts pass per
individual-bar."""
SWEEP_OVERHEAD_TARGET_SECONDS = 0.3
"""Most seconds ``genepool sweep`` may spend beyond the Numba floor and its compute."""


ONE_THREAD_SIZE = (100_000, 200)
"""Bars × individuals of the one-thread targets (accounts pass, bar-evaluations per thread)."""
SWEEP_SIZE = (1_000, 100_000)
"""Pairs × bars of the sweep targets."""
HEADLINE_SIZE = (1_000_000, 200, 50)
"""Bars × population × generations of the headline target."""


@dataclass(frozen=True)
class Verdict:
    """One figure against its target; ``figure`` and ``target`` are display text, ``met`` the comparison and
    ``full_size`` whether the figure was measured at the target's size (a smaller run's verdict says so)."""

    target: str
    figure: str
    goal: str
    met: bool
    full_size: bool


def accounts_verdicts(accounts: dict[str, Any]) -> list[Verdict]:
    passes = accounts["passes"]
    figure = ", ".join(f"{p['name']} {p['ns_per_individual_bar']:.2f}" for p in passes)
    current = passes[-1]["ns_per_individual_bar"]
    goal = f"<= {accounts['target_ns']:g} ns"
    met = current <= accounts["target_ns"]
    full = (accounts["bars"], accounts["population"]) == ONE_THREAD_SIZE
    return [Verdict("accounts pass, ns per individual-bar (one thread)", figure, goal, met, full)]


def seed_verdicts(layout: list[dict[str, Any]]) -> list[Verdict]:
    return [
        Verdict(
            f"{row['seed']}, bar-evals/s per thread ({row['bars']:,} bars x {row['population']})",
            f"{row['simd_bar_evals_per_second']:.3g}",
            f">= {row['per_thread_target']:.0e}",
            bool(row["per_thread_met"]),
            (row["bars"], row["population"]) == ONE_THREAD_SIZE,
        )
        for row in layout
    ]


def sweep_thread_verdict(sweep: dict[str, Any], accounts: dict[str, Any]) -> Verdict:
    """The sweep's compute per pair-bar on one thread against the current accounts pass per individual-bar."""
    accounts_ns = accounts["passes"][-1]["ns_per_individual_bar"]
    sweep_ns = sweep["ns_per_pair_bar_per_thread"]
    ratio = sweep_ns / accounts_ns
    return Verdict(
        "sweep compute per pair-bar per thread vs the accounts pass",
        f"{ratio:.2f}x ({sweep_ns:.2f} ns vs {accounts_ns:.2f} ns)",
        f"<= {SWEEP_THREAD_RATIO_TARGET:g}x",
        ratio <= SWEEP_THREAD_RATIO_TARGET,
        (sweep["pairs"], sweep["bars"]) == SWEEP_SIZE and (accounts["bars"], accounts["population"]) == ONE_THREAD_SIZE,
    )


def sweep_verdicts(sweep: dict[str, Any], accounts: dict[str, Any] | None = None) -> list[Verdict]:
    """The sweep against vectorbt (when vectorbt ran), per thread against ``accounts`` (when given and the sweep has
    its one-thread figure), and ``genepool sweep``'s process overhead."""
    rows = []
    full = (sweep["pairs"], sweep["bars"]) == SWEEP_SIZE
    if "compute_speedup" in sweep:
        rows.append(
            Verdict(
                f"sweep compute vs vectorbt ({sweep['pairs']:,} pairs x {sweep['bars']:,} bars)",
                f"{sweep['compute_speedup']:.0f}x",
                f">= {SWEEP_RATIO_TARGET:.0f}x",
                sweep["compute_speedup"] >= SWEEP_RATIO_TARGET,
                full,
            )
        )
    if accounts is not None and "ns_per_pair_bar_per_thread" in sweep:
        rows.append(sweep_thread_verdict(sweep, accounts))
    overhead = sweep["process_overhead"]
    figure = (
        f"{overhead['seconds']:.2f} s (process {overhead['process_seconds']:.2f} s, floor "
        f"{overhead['floor_seconds']:.2f} s, compute {overhead['compute_seconds']:.2f} s)"
    )
    goal = f"<= {SWEEP_OVERHEAD_TARGET_SECONDS} s"
    met = overhead["seconds"] <= SWEEP_OVERHEAD_TARGET_SECONDS
    rows.append(Verdict("genepool sweep beyond the Numba floor + compute", figure, goal, met, full))
    return rows


def headline_verdicts(headline: dict[str, Any]) -> list[Verdict]:
    how = "measured" if headline["measured"] else f"extrapolated from {headline['generations_run']} generations"
    return [
        Verdict(
            f"headline search ({how})",
            f"{headline['seconds']:.1f} s",
            f"< {headline['target_seconds']:.0f} s",
            bool(headline["met"]),
            (headline["bars"], headline["population"], headline["target_generations"]) == HEADLINE_SIZE,
        )
    ]


def verdicts(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The verdict rows of a bench run's ``results`` (as JSON objects), for the figures it ran."""
    rows: list[Verdict] = []
    if "accounts" in results:
        rows += accounts_verdicts(results["accounts"])
    if "layout" in results:
        rows += seed_verdicts(results["layout"])
    if "sweep" in results:
        rows += sweep_verdicts(results["sweep"], results.get("accounts"))
    if "headline" in results:
        rows += headline_verdicts(results["headline"])
    return [asdict(row) for row in rows]


def verdict_text(row: dict[str, Any]) -> str:
    """``met`` or ``NOT met``, with ``(reduced size)`` when the figure was not measured at the target's size."""
    return ("met" if row["met"] else "NOT met") + ("" if row["full_size"] else " (reduced size)")


def format_load(load: dict[str, list[float]]) -> str:
    """``load average before: 1.02 0.98 0.91, after: ...`` (1, 5 and 15 minutes)."""
    return ", ".join(f"{when}: {' '.join(f'{v:.2f}' for v in values)}" for when, values in load.items())
