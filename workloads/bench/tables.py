"""``genepool bench``'s figures as rich tables and lines; the CLI prints them in the order of a run
(``workloads.cli.bench``), through the layout rules of ``workloads.cli.layout`` (folded, never truncated; plain
lines when piped)."""

from __future__ import annotations

from typing import Any

from rich.table import Table


def kernels_table(rows: list[dict[str, Any]]) -> Table:
    threads = rows[0]["threads"] if rows else 0
    table = Table(title=f"fitness kernels ({threads} threads)")
    table.add_column("seed", no_wrap=True)
    for column in ("bars × population", "seconds", "bar-evals/s", "per thread", "peak RSS above inputs"):
        table.add_column(column, justify="right")
    for row in rows:
        size = f"{row['bars']:,} × {row['population']:,}" + (" (reduced)" if row["reduced"] else "")
        table.add_row(
            row["seed"],
            size,
            f"{row['seconds']:.2f}",
            f"{row['bar_evals_per_second']:.3g}",
            f"{row['bar_evals_per_second_per_thread']:.3g}",
            f"{row['peak_rss_above_inputs_mb']:.1f} MB",
        )
    return table


def layout_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="SIMD layout vs per-individual layout, one thread (bit-identical metrics)")
    table.add_column("seed", no_wrap=True)
    for column in ("bars × population", "SIMD bar-evals/s", "per-individual", "ratio", "target", "identical"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(
            row["seed"],
            f"{row['bars']:,} × {row['population']:,}",
            f"{row['simd_bar_evals_per_second']:.3g}" + ("" if row["per_thread_met"] else " (< 1e8)"),
            f"{row['per_individual_bar_evals_per_second']:.3g}",
            f"{row['ratio']:.2f}×",
            f"≥ {row['ratio_target']:.1f}× " + ("met" if row["ratio_met"] else "NOT met"),
            "yes" if row["identical"] else "NO",
        )
    return table


def sweep_table(sweep: dict[str, Any]) -> Table:
    table = Table(
        title=f"EMA sweep: {sweep['pairs']:,} pairs (fast {sweep['fast']}, slow {sweep['slow']}) × "
        f"{sweep['bars']:,} bars, whole processes after one untimed warm-up run each"
    )
    for column in ("run", "engine", "seconds", "of which compute", "peak RSS", "median total_return"):
        table.add_column(column, justify="right", no_wrap=True)
    for i, run in enumerate(sweep["runs"], 1):
        table.add_row(
            str(i),
            run["engine"],
            f"{run['seconds']:.2f}",
            f"{run['compute_seconds']:.2f}",
            f"{run['peak_rss_mb']:,.0f} MB",
            f"{run['median_total_return']:.4f}",
        )
    return table


def sweep_lines(sweep: dict[str, Any]) -> list[str]:
    lines = [
        f"genepool's sweep compute on one thread: {sweep['one_thread_compute_seconds']:.3f} s CPU, "
        f"{sweep['ns_per_pair_bar_per_thread']:.2f} ns per pair-bar (the sweep process uses {sweep['threads']} "
        "threads)"
    ]
    if "speedup" not in sweep:
        return lines
    return lines + [
        f"genepool is {sweep['speedup']:.1f}× faster than vectorbt (median whole-process wall time); "
        f"{sweep['compute_speedup']:.1f}× on the sweep's compute alone",
        f"a Python process that only imports Numba and calls one cached kernel takes "
        f"{sweep['numba_floor_seconds']:.2f} s here: no Numba-based sweep can be more than "
        f"{sweep['speedup_ceiling']:.1f}× faster than vectorbt as a whole process on this machine",
    ]


def accounts_line(accounts: dict[str, Any]) -> str:
    passes = "; ".join(f"{p['name']} {p['ns_per_individual_bar']:.2f} ns" for p in accounts["passes"])
    return (
        f"accounts pass (trivial rule, one thread, {accounts['bars']:,} bars × {accounts['population']}): "
        f"{passes} per individual-bar"
    )


def verdict_table(results: dict[str, Any]) -> Table:
    from workloads.bench.verdict import format_load, verdict_text

    table = Table(title=f"kernel targets (load average {format_load(results['load_average'])})")
    for column in ("target", "figure", "goal", "verdict"):
        table.add_column(column)
    for row in results["verdict"]:
        table.add_row(row["target"], row["figure"], row["goal"], verdict_text(row))
    return table


def search_texts(results: dict[str, Any]) -> list[str]:
    """The evolution, headline, search-quality and objective-study figures as text, for those that ran."""
    texts = []
    if "evolution" in results:
        from workloads.bench.evolution import format_benchmark

        texts.append(format_benchmark(results["evolution"]))
    if "headline" in results:
        from workloads.bench.headline import format_headline

        texts.append(format_headline(results["headline"]))
    if "search_quality" in results:
        from workloads.bench.search import format_search_benchmark

        texts.append(format_search_benchmark(results["search_quality"]))
    if "objective_study" in results:
        from workloads.bench.objective_study import format_objective_study

        texts.append(format_objective_study(results["objective_study"]))
    if "api" in results:
        from workloads.bench.api import format_benchmark as format_api_benchmark

        texts.append(format_api_benchmark(results["api"]))
    return texts
