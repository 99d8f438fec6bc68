"""HTML assembly of the tear sheet: figures as ``<div>`` elements, the key-stats card, and the page around them.

The page is one file: CSS inline and plotly.js inlined once in the head, so it opens with no network (no ``src`` or
``href`` points anywhere). Each chart has a fixed element id (:data:`TEAR_SHEET_IDS`), which tests and links use.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from workloads.tearsheet import figures, paths

if TYPE_CHECKING:
    from workloads.data.bars import Bars
    from workloads.evolution.sweep import Sensitivity
    from workloads.seeds.base import BacktestResult

TEAR_SHEET_IDS: tuple[str, ...] = (
    "equity",
    "drawdown",
    "rolling-sharpe",
    "monthly-returns",
    "trades-on-price",
    "return-distribution",
    "key-stats",
)
"""Element ids of the tear sheet's charts and card, in page order."""
SENSITIVITY_ID = "sensitivity"

STYLE = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1400px;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:13px;margin:0.5em 0}
td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}th{background:#f4f4f4}
td.name,th.name{text-align:left}.chart{margin:1em 0}.note{color:#555;font-size:13px;max-width:70em}"""

CARD_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("total_return", "total return", "{:+.2%}"),
    ("cagr", "CAGR", "{:+.2%}"),
    ("sharpe", "Sharpe", "{:.2f}"),
    ("sortino", "Sortino", "{:.2f}"),
    ("calmar", "Calmar", "{:.2f}"),
    ("max_drawdown", "max drawdown", "{:.2%}"),
    ("profit_factor", "profit factor", "{:.2f}"),
    ("win_rate", "win rate", "{:.1%}"),
    ("trades", "trades", "{:,}"),
    ("exposure", "exposure", "{:.1%}"),
    ("fee_drag", "fee drag", "{:.2%}"),
    ("funding_drag", "funding drag", "{:+.2%}"),
)
"""``(key, heading, format)`` of the key-stats card's columns (``KeyStats`` fields)."""


def esc(value: Any) -> str:
    return html.escape(str(value))


def chart(fig: go.Figure, element_id: str) -> str:
    """``fig`` as a ``<div id=element_id>`` drawn by the page's inlined plotly.js."""
    return fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=element_id,
        config={"displaylogo": False, "responsive": True},
        default_width="100%",
    )


def number(value: Any, pattern: str, missing: str = "—") -> str:
    """``value`` in ``pattern``, ``missing`` for ``None``; a value that rounds to zero is shown as zero (never
    "-0.00%")."""
    if value is None:
        return missing
    text = pattern.format(value)
    return pattern.format(type(value)(0)) if not any(c in "123456789" for c in text) else text


def key_stats_card(drawn: Sequence[dict[str, Any]]) -> str:
    """One row per strategy and span (train, holdout or the whole span) of :data:`CARD_COLUMNS`."""
    head = "".join(f"<th>{esc(h)}</th>" for _, h, _ in CARD_COLUMNS)
    rows = []
    for i, path in enumerate(drawn):
        swatch = f'<span style="color:{figures.colour(i)}">■</span> '
        for span, values in path["stats"].items():
            cells = "".join(f"<td>{esc(number(values[key], fmt, '∞ / none'))}</td>" for key, _, fmt in CARD_COLUMNS)
            rows.append(
                f'<tr><td class="name">{swatch}{esc(path["label"])}</td><td class="name">{esc(span)}</td>{cells}</tr>'
            )
    return (
        f'<div id="key-stats" class="chart"><h3>Key statistics</h3><table><tr><th class="name">strategy</th>'
        f'<th class="name">span</th>{head}</tr>{"".join(rows)}</table>'
        '<p class="note">Ratios are annualised, risk-free rate 0. Sortino: mean return over the downside deviation '
        "(target 0). Calmar: CAGR over the maximum drawdown. Profit factor: gross profit over gross loss of closed "
        "round trips (∞ / none: no losing trip). Exposure: share of bars holding a position. Fee drag: fees paid "
        "over the span as a share of the starting equity (slippage is in the fill prices, not here). Funding drag: "
        "funding paid minus received, as a share of the starting equity (negative: funding earned).</p></div>"
    )


def tear_sheet(drawn: Sequence[dict[str, Any]], price: dict[str, Any], buy_and_hold: dict[str, Any] | None) -> str:
    """The charts and card of :data:`TEAR_SHEET_IDS` for the ``drawn`` paths (``workloads.tearsheet.paths``
    documents; the monthly heatmap is of the first)."""
    if not drawn:
        return "<p>No strategy to draw.</p>"
    return "".join(
        (
            chart(figures.equity(drawn, buy_and_hold), "equity"),
            chart(figures.drawdown(drawn), "drawdown"),
            chart(figures.rolling_sharpe(drawn), "rolling-sharpe"),
            chart(figures.monthly_returns(drawn[0]), "monthly-returns"),
            chart(figures.trades_on_price(drawn, price), "trades-on-price"),
            chart(figures.return_distribution(drawn), "return-distribution"),
            key_stats_card(drawn),
        )
    )


def document(title: str, body: str) -> str:
    """A complete HTML page: ``body`` with plotly.js and the style inlined."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{STYLE}</style>"
        f'<script type="text/javascript">{get_plotlyjs()}</script></head>'
        f"<body>{body}</body></html>\n"
    )


def write(path: str | Path, page: str) -> Path:
    """Write ``page`` to ``path`` (creating its folder)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return out


def backtest_page(title: str, result: BacktestResult, bars: Bars, bars_per_year: float, costs: str) -> str:
    """The tear sheet of one ``Seed.run`` over ``bars`` (``genepool backtest --report``); ``costs`` describes the
    simulation's costs in words."""
    path = paths.strategy_path(result.seed, result, None, bars_per_year)
    body = (
        f'<h1>{esc(title)}</h1><p class="note">{esc(costs)}. Exposure is decided at each close and filled at the '
        "next open. Hover for values; drag to zoom; click a legend entry to hide or show it.</p>"
        + tear_sheet([path], paths.price(bars), paths.buy_and_hold(bars))
    )
    return document(title, body)


def sensitivity_page(title: str, grid: Sensitivity, note: str) -> str:
    """The parameter-sensitivity heatmap of a sweep (``genepool sweep --heatmap``)."""
    fig = figures.sensitivity(grid.x, grid.y, grid.xs, grid.ys, grid.values, grid.metric)
    body = f'<h1>{esc(title)}</h1><p class="note">{esc(note)}</p>' + chart(fig, SENSITIVITY_ID)
    return document(title, body)
