"""The HTML report of an evolution run (``genepool report RUN_ID --out report.html``; docs/report.md).

One self-contained file (plotly.js inlined; nothing fetched at view time), drawn from the run's ``run.json``: the
verdict and the seeds' verdicts, the hall-of-fame table with both deflated Sharpe ratios and which one the promotion
gate uses, the tear sheet of the top strategies (``workloads.tearsheet``: equity with the holdout shaded, drawdown,
rolling Sharpe, monthly returns, trades on the price, return distribution, key statistics), fitness per generation
and the final populations' gene distributions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workloads.tearsheet import figures, page
from workloads.tearsheet.page import esc as _esc

FIGURE_IDS: tuple[str, ...] = (*page.TEAR_SHEET_IDS, page.SENSITIVITY_ID, "fitness", "genes")
"""Element ids of the report's charts and card, in page order (gene charts are ``genes-<seed>``)."""


def _fmt(value: Any, pattern: str = "{:.3f}") -> str:
    return page.number(value, pattern)


def _hall_of_fame_table(run: dict[str, Any]) -> str:
    head = (
        "#",
        "strategy",
        "params",
        "fitness",
        "train sharpe",
        "train return",
        "train max dd",
        "holdout sharpe",
        "holdout return",
        "holdout max dd",
        "holdout trades",
        "DSR (gate)",
        "DSR (conservative, reference)",
        "neighbourhood",
        "verdict",
    )
    rows = []
    for rank, e in enumerate(run["hall_of_fame"], 1):
        h = e["holdout"] or {}
        params = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in e["params"].items())
        cells = (
            rank,
            e["strategy"],
            params,
            _fmt(e["fitness"]),
            _fmt(e["train"]["sharpe"]),
            _fmt(e["train"]["total_return"], "{:.1%}"),
            _fmt(e["train"]["max_drawdown"], "{:.1%}"),
            _fmt(h.get("sharpe")),
            _fmt(h.get("total_return"), "{:.1%}"),
            _fmt(h.get("max_drawdown"), "{:.1%}"),
            _fmt(h.get("trades"), "{:.0f}"),
            _fmt(e["dsr"]),
            _fmt(e["dsr_conservative"], "{:.2g}"),
            _neighbourhood(e["robustness"]),
            "promoted" if e["promoted"] else "; ".join(e["gate"]),
        )
        rows.append("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in cells) + "</tr>")
    return "<table><tr>" + "".join(f"<th>{_esc(h)}</th>" for h in head) + "</tr>" + "".join(rows) + "</table>"


def _seeds_table(run: dict[str, Any]) -> str:
    head = ("seed", "best fitness", "in hall of fame", "DSR (gate)", "holdout sharpe", "verdict")
    rows = []
    for name, best in run["best_by_seed"].items():
        cells = (
            name,
            _fmt(best["fitness"]),
            "yes" if best["in_hall_of_fame"] else "no",
            _fmt(best["dsr"]),
            _fmt(best["holdout_sharpe"]),
            "passes" if best["promoted"] else "refused: " + "; ".join(best["gate"]),
        )
        rows.append("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in cells) + "</tr>")
    return "<table><tr>" + "".join(f"<th>{_esc(h)}</th>" for h in head) + "</tr>" + "".join(rows) + "</table>"


def _neighbourhood(robustness: dict[str, Any]) -> str:
    retention = robustness["retention"]
    if retention is None:
        return "—"
    return f"{retention:.0%} kept" + (" (thin peak)" if robustness["thin_peak"] else "")


def _dsr_note(run: dict[str, Any]) -> str:
    cfg = run["config"]
    return f"""<p class="note"><strong>Which DSR decides.</strong> The promotion gate uses <em>DSR</em>: the
probability that the training Sharpe ratio is real after deflating for the search, i.e. that it beats the best of
{_fmt(run["n_eff"], "{:.0f}")} effective independent zero-skill trials (the {run["trials"]} distinct genomes evaluated,
discounted for how correlated their returns are). An entry is promoted when DSR ≥ {cfg["promote_dsr"]}, its holdout
Sharpe is positive with at least {cfg["min_trades"]} holdout trades and its holdout drawdown is at most
{cfg["promote_max_drawdown"]:.0%}. <em>DSR (conservative)</em> is shown for reference and does not decide: it deflates
against the spread of all trials' Sharpe ratios as if every genome were an independent trial. When the search finds
a real edge, that spread is wide (genomes that exploit the edge beside genomes that trade against it), so the
conservative DSR falls towards 0 (values like 1e-19) even for a sound strategy; read it as a worst case.
Neighbourhood: the mean fitness of genomes one or two steps of {cfg["robust_step"]} away in each gene, as a share of
the entry's.</p>"""


def _sensitivity(run: dict[str, Any]) -> str:
    grid = run["report"].get("sensitivity")
    if grid is None:
        return (
            f'<p id="{page.SENSITIVITY_ID}" class="note">No sensitivity map: the hall of fame is empty or its best '
            "entry's seed has fewer than two numeric genes.</p>"
        )
    fig = figures.sensitivity(
        grid["x"], grid["y"], grid["xs"], grid["ys"], grid["values"], f"training {grid['metric']}"
    )
    fig.update_layout(title={"text": f"Parameter sensitivity of {grid['label']}: training {grid['metric']}"})
    step = run["config"]["robust_step"]
    return page.chart(fig, page.SENSITIVITY_ID) + (
        f'<p class="note">{_esc(grid["x"])} and {_esc(grid["y"])} each moved by up to two steps of {step} of their '
        "range (the neighbourhood the robustness check uses), the other genes at the entry's values, on the training "
        "span with the run's costs. A broad plateau is robust; a lone bright cell is a fitted peak. "
        "<code>genepool sweep --heatmap</code> draws the same map over any grid.</p>"
    )


def _gene_charts(run: dict[str, Any]) -> str:
    return "".join(
        page.chart(figures.genes(name, distribution), f"genes-{name}")
        for name, distribution in run["report"]["genes"].items()
    )


def render(run: dict[str, Any]) -> str:
    """The report of a ``run.json`` document as one HTML string. A run recorded before tear sheets existed (no
    ``report.price``) is refused with a ValueError saying so."""
    data, cfg, drawn = run["data"], run["config"], run["report"]
    if "price" not in drawn:
        raise ValueError(
            f"run {run['run_id']}: its run.json was written by an earlier genepool without the tear sheet's data; "
            "evolve again to report on it"
        )
    skipped = "".join(f"<li>{_esc(n)}: {_esc(w)}</li>" for n, w in run.get("skipped", {}).items())
    body = f"""<h1>genepool run {_esc(run["run_id"])}</h1>
<p>Data {_esc(data["source"] or data["symbol"])} ({_esc(data["fingerprint"])}): {data["bars"]} bars, training
{data["train_bars"]}, holdout {data["holdout_bars"]} (never seen by the search), {len(data["segments"])}
walk-forward segments. Seeds: {_esc(", ".join(run["seeds"]))}. {run["trials"]} distinct genomes evaluated.
Population {cfg["population"]}, generations {cfg["generations"]}, mutation {cfg["mutation"]}, crossover
{cfg["crossover"]}, elite {cfg["elite"]}, random seed {cfg["random_seed"]}. Costs: fee {cfg["fee_bps"]} bps and
slippage {cfg["slippage_bps"]} bps per fill.</p>
{f"<p>Skipped:</p><ul>{skipped}</ul>" if skipped else ""}
<h2>Verdict</h2><p><strong>{_esc(run["verdict"]["line"])}</strong></p>
<p>Seeds whose best genome passes: {_esc(", ".join(run["verdict"]["seeds_passing"]) or "none")}; refused:
{_esc(", ".join(run["verdict"]["seeds_refused"]) or "none")}.</p>{_seeds_table(run)}
<h2>Hall of fame</h2>{_hall_of_fame_table(run)}{_dsr_note(run)}
<h2>Tear sheet of the top {len(drawn["curves"])} strategies</h2>
<p class="note">Each strategy is replayed as the evolution scored it, with the run's costs: on the training span, then
on the holdout (shaded), which starts flat and continues the same curve. Hover for values; drag to zoom; click a
legend entry to hide or show it.</p>
{page.tear_sheet(drawn["curves"], drawn["price"], drawn["buy_and_hold"])}
<h2>Parameter sensitivity</h2>{_sensitivity(run)}
<h2>Fitness per generation</h2>{page.chart(figures.fitness(run["generations"], run["seeds"]), "fitness")}
<h2 id="genes">Gene distributions of the final populations</h2>{_gene_charts(run)}
"""
    return page.document(f"genepool run {run['run_id']}", body)


def write_report(run: dict[str, Any], out: str | Path) -> Path:
    """Write :func:`render` of ``run`` to ``out``."""
    return page.write(out, render(run))
