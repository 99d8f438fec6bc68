"""The self-contained HTML report of an evolution run (``genepool report RUN_ID --out report.html``).

One HTML file, inline CSS and inline SVG only: no script, no font, no image and no network request at view time.
It draws, from the run's ``run.json``: best and mean fitness per generation per seed; equity curves of the top
strategies against buy-and-hold on the training span and on the holdout; their drawdowns; the final populations'
gene distributions; the verdict line ("N promoted: …" or "nothing passed: …") and the hall-of-fame table (train
and holdout metrics, both deflated Sharpe ratios, the neighbourhood, promoted or the rules failed).
"""

from __future__ import annotations

import html
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

WIDTH, HEIGHT, PAD = 640, 240, 40
COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#393b79",
    "#637939",
)


def _esc(value: Any) -> str:
    return html.escape(str(value))


def _date(ms: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(ms / 1000))


def line_chart(
    series: Sequence[tuple[str, Sequence[float], Sequence[float], str]],
    title: str,
    dashed: Sequence[str] = (),
    y_format: str = "{:.2f}",
    x_label: Callable[[float], str] = str,
) -> str:
    """An SVG line chart of ``(label, xs, ys, colour)`` series; labels in ``dashed`` are drawn dashed."""
    points = [
        (x, y) for _, xs, ys, _ in series for x, y in zip(xs, ys, strict=True) if y is not None and math.isfinite(y)
    ]
    if not points:
        return f"<p>{_esc(title)}: no data</p>"
    x0, x1 = min(p[0] for p in points), max(p[0] for p in points)
    y0, y1 = min(p[1] for p in points), max(p[1] for p in points)
    x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1e-9)

    def sx(x: float) -> float:
        return PAD + (x - x0) / (x1 - x0) * (WIDTH - 2 * PAD)

    def sy(y: float) -> float:
        return HEIGHT - PAD + (y - y0) / (y1 - y0) * -(HEIGHT - 2 * PAD)

    parts = [
        f'<svg width="{WIDTH}" height="{HEIGHT + 20 * len(series)}" role="img"><title>{_esc(title)}</title>',
        f'<text x="{PAD}" y="16" font-size="13" font-weight="bold">{_esc(title)}</text>',
        f'<rect x="{PAD}" y="{PAD}" width="{WIDTH - 2 * PAD}" height="{HEIGHT - 2 * PAD}" fill="none" stroke="#ccc"/>',
        f'<text x="2" y="{PAD + 4}" font-size="10">{_esc(y_format.format(y1))}</text>',
        f'<text x="2" y="{HEIGHT - PAD}" font-size="10">{_esc(y_format.format(y0))}</text>',
        f'<text x="{PAD}" y="{HEIGHT - PAD + 14}" font-size="10">{_esc(x_label(x0))}</text>',
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - PAD + 14}" font-size="10" text-anchor="end">{_esc(x_label(x1))}</text>',
    ]
    for i, (label, xs, ys, colour) in enumerate(series):
        path = " ".join(
            f"{sx(x):.1f},{sy(y):.1f}" for x, y in zip(xs, ys, strict=True) if y is not None and math.isfinite(y)
        )
        dash = ' stroke-dasharray="5,3"' if label in dashed else ""
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5"{dash} points="{path}"/>')
        parts.append(
            f'<rect x="{PAD}" y="{HEIGHT + 20 * i - 8}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{PAD + 14}" y="{HEIGHT + 20 * i + 1}" font-size="11">{_esc(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def histogram(values: Sequence[float], low: float, high: float, title: str, bins: int = 20) -> str:
    """A small SVG histogram of ``values`` over ``[low, high]``."""
    w, h = 200, 110
    counts = [0] * bins
    span = (high - low) or 1.0
    for v in values:
        counts[min(bins - 1, max(0, int((v - low) / span * bins)))] += 1
    top = max(counts) or 1
    bar = (w - 10) / bins
    rects = "".join(
        f'<rect x="{5 + i * bar:.1f}" y="{h - 20 - c / top * (h - 40):.1f}" width="{bar - 1:.1f}" '
        f'height="{c / top * (h - 40):.1f}" fill="#1f77b4"/>'
        for i, c in enumerate(counts)
    )
    return (
        f'<svg width="{w}" height="{h}" role="img"><title>{_esc(title)}'
        f'</title><text x="5" y="12" font-size="11">{_esc(title)}</text>{rects}'
        f'<text x="5" y="{h - 5}" font-size="9">{low:.4g}</text>'
        f'<text x="{w - 5}" y="{h - 5}" font-size="9" text-anchor="end">{high:.4g}</text></svg>'
    )


def _drawdown(values: Sequence[float]) -> list[float]:
    peak, out = -math.inf, []
    for v in values:
        peak = max(peak, v)
        out.append(-(1 - v / peak) if peak > 0 else 0.0)
    return out


def _fmt(value: Any, pattern: str = "{:.3f}") -> str:
    return "—" if value is None else pattern.format(value)


def _fitness_charts(run: dict[str, Any]) -> str:
    seeds = run["seeds"]
    gens = [g["generation"] for g in run["generations"]]
    out = []
    for what in ("best", "mean"):
        series = [
            (name, gens, [g["seeds"][name][what] for g in run["generations"]], COLOURS[i % len(COLOURS)])
            for i, name in enumerate(seeds)
        ]
        out.append(line_chart(series, f"{what} fitness per generation", x_label=lambda g: f"generation {g:.0f}"))
    return "".join(out)


def _equity_charts(run: dict[str, Any]) -> str:
    report = run["report"]
    out = []
    for span in ("train", "holdout"):
        curves = [c for c in report["curves"] if span in c]
        if not curves or span not in report["buy_and_hold"]:
            continue
        bh = report["buy_and_hold"][span]
        series = [(c["label"], c[span]["t"], c[span]["v"], COLOURS[i % len(COLOURS)]) for i, c in enumerate(curves)]
        series.append(("buy and hold", bh["t"], bh["v"], "#000000"))
        out.append(line_chart(series, f"equity on the {span} span", dashed=("buy and hold",), x_label=_date))
        dd = [(label, xs, _drawdown(ys), colour) for label, xs, ys, colour in series]
        out.append(
            line_chart(dd, f"drawdown on the {span} span", dashed=("buy and hold",), y_format="{:.1%}", x_label=_date)
        )
    return "".join(out)


def _gene_charts(run: dict[str, Any]) -> str:
    out = []
    for name, genes in run["report"]["genes"].items():
        charts = "".join(
            histogram(values, low, high, gene)
            for gene, low, high, values in zip(
                genes["genes"], genes["low"], genes["high"], genes["values"], strict=True
            )
        )
        out.append(f"<h3>{_esc(name)}</h3><div>{charts}</div>")
    return "".join(out)


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
        "DSR",
        "DSR (conservative)",
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
    head = ("seed", "best fitness", "in hall of fame", "DSR", "holdout sharpe", "verdict")
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


def render(run: dict[str, Any]) -> str:
    """The report of a ``run.json`` document as one HTML string."""
    data, cfg = run["data"], run["config"]
    skipped = "".join(f"<li>{_esc(n)}: {_esc(w)}</li>" for n, w in run.get("skipped", {}).items())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>genepool run {_esc(run["run_id"])}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1400px}}table{{border-collapse:collapse;font-size:12px}}
td,th{{border:1px solid #ddd;padding:3px 6px;text-align:right}}td:nth-child(2),td:nth-child(3){{text-align:left}}
svg{{margin:4px}}</style></head><body>
<h1>genepool run {_esc(run["run_id"])}</h1>
<p>Data {_esc(data["source"] or data["symbol"])} ({_esc(data["fingerprint"])}): {data["bars"]} bars, training
{data["train_bars"]}, holdout {data["holdout_bars"]} (never seen by the search), {len(data["segments"])}
walk-forward segments. Seeds: {_esc(", ".join(run["seeds"]))}. {run["trials"]} distinct genomes evaluated.
Population {cfg["population"]}, generations {cfg["generations"]}, mutation {cfg["mutation"]}, crossover
{cfg["crossover"]}, elite {cfg["elite"]}, random seed {cfg["random_seed"]}.</p>
{f"<p>Skipped:</p><ul>{skipped}</ul>" if skipped else ""}
<h2>Verdict</h2><p><strong>{_esc(run["verdict"]["line"])}</strong></p>
<p>Seeds whose best genome passes: {_esc(", ".join(run["verdict"]["seeds_passing"]) or "none")}; refused:
{_esc(", ".join(run["verdict"]["seeds_refused"]) or "none")}.</p>{_seeds_table(run)}
<h2>Hall of fame</h2>{_hall_of_fame_table(run)}
<p>DSR: Deflated Sharpe Ratio (Bailey &amp; López de Prado) of the training returns against the best of
{_fmt(run["n_eff"], "{:.0f}")} effective independent zero-skill trials (of {run["trials"]} distinct genomes);
promoted when DSR ≥ {cfg["promote_dsr"]}, the holdout Sharpe is positive with at least {cfg["min_trades"]} holdout
trades and the holdout drawdown is at most {cfg["promote_max_drawdown"]:.0%}. DSR (conservative): deflated by the
spread of all trials' Sharpe ratios. Neighbourhood: the mean fitness of genomes one or two steps of
{cfg["robust_step"]} away in each gene, as a share of the entry's.</p>
<h2>Fitness per generation</h2><div>{_fitness_charts(run)}</div>
<h2>Equity of the top strategies vs buy-and-hold</h2><div>{_equity_charts(run)}</div>
<h2>Gene distributions of the final populations</h2>{_gene_charts(run)}
</body></html>
"""


def write_report(run: dict[str, Any], out: str | Path) -> Path:
    """Write :func:`render` of ``run`` to ``out``."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(run), encoding="utf-8")
    return path
