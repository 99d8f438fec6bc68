"""One Plotly figure per tear-sheet chart, drawn from :mod:`workloads.tearsheet.paths` documents.

Every figure has a title, axis titles with units, outside ticks, gridlines and hover labels. Strategies keep one
colour each across all charts (:func:`colour`, Plotly's qualitative D3 palette, in the order the paths are given);
buy-and-hold is black and dashed. Returns and drawdowns are shown as percentages; equity is the growth of 1 on a log
axis (so a doubling has the same height everywhere). Times are UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

PALETTE: tuple[str, ...] = tuple(qualitative.D3)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
HOLDOUT_FILL = "rgba(255, 165, 0, 0.12)"
AXIS = {"showgrid": True, "gridcolor": "#e5e5e5", "ticks": "outside", "showline": True, "linecolor": "#888"}


def colour(index: int) -> str:
    """The colour of the ``index``-th strategy (the palette repeats after ten)."""
    return PALETTE[index % len(PALETTE)]


def _dash(index: int) -> str:
    """Solid for the first ten strategies, dashed for the next ten: no two of twenty look alike."""
    return "solid" if index < len(PALETTE) else "dash"


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str, **extra: Any) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01},
        template="plotly_white",
        height=460,
        margin={"l": 70, "r": 30, "t": 60, "b": 90},
        legend={"orientation": "h", "yanchor": "top", "y": -0.22, "x": 0},
        hoverlabel={"namelength": -1},
        **extra,
    )
    fig.update_xaxes(title_text=x_title, **AXIS)
    fig.update_yaxes(title_text=y_title, **AXIS)
    return fig


def _dates(ms: Sequence[int]) -> list[str]:
    """ms since the epoch as ISO timestamps Plotly reads as UTC dates."""
    import numpy as np

    return [str(t) for t in np.asarray(ms, dtype="datetime64[ms]")]


def _shade_holdout(fig: go.Figure, paths: Sequence[dict[str, Any]], **where: Any) -> None:
    starts = [p["holdout_start"] for p in paths if p.get("holdout_start") is not None]
    if not starts:
        return
    end = max(p["equity"]["t"][-1] for p in paths)
    fig.add_vrect(
        x0=_dates([min(starts)])[0],
        x1=_dates([end])[0],
        fillcolor=HOLDOUT_FILL,
        line_width=0,
        layer="below",
        annotation_text="holdout (never seen by the search)",
        annotation_position="top left",
        **where,
    )


def equity(paths: Sequence[dict[str, Any]], buy_and_hold: dict[str, list[Any]] | None) -> go.Figure:
    """Each strategy's equity (growth of 1, log axis) on one curve, the holdout span shaded; buy-and-hold dashed."""
    fig = go.Figure()
    for i, path in enumerate(paths):
        fig.add_trace(
            go.Scatter(
                x=_dates(path["equity"]["t"]),
                y=path["equity"]["v"],
                name=path["label"],
                legendgroup=path["label"],
                line={"color": colour(i), "width": 1.6, "dash": _dash(i)},
                hovertemplate="%{y:.4g}×",
            )
        )
    if buy_and_hold is not None:
        fig.add_trace(
            go.Scatter(
                x=_dates(buy_and_hold["t"]),
                y=buy_and_hold["v"],
                name="buy and hold",
                line={"color": "#000000", "width": 1.2, "dash": "dash"},
                hovertemplate="%{y:.4g}×",
            )
        )
    _shade_holdout(fig, paths)
    _layout(fig, "Equity (growth of 1)", "date (UTC)", "equity, multiple of the start (log scale)", hovermode="x")
    fig.update_yaxes(type="log")
    return fig


def drawdown(paths: Sequence[dict[str, Any]]) -> go.Figure:
    """Each strategy's drawdown from its running peak, in percent (0 at a new high)."""
    fig = go.Figure()
    for i, path in enumerate(paths):
        fig.add_trace(
            go.Scatter(
                x=_dates(path["drawdown"]["t"]),
                y=[0.0 if v == 0 else v for v in path["drawdown"]["v"]],
                name=path["label"],
                legendgroup=path["label"],
                line={"color": colour(i), "width": 1.3, "dash": _dash(i)},
                hovertemplate="%{y:.2%}",
            )
        )
    _shade_holdout(fig, paths)
    _layout(fig, "Drawdown from the running peak", "date (UTC)", "drawdown (%)", hovermode="x")
    fig.update_yaxes(tickformat=".0%", rangemode="tozero", zeroline=True, zerolinecolor="#888")
    return fig


def rolling_sharpe(paths: Sequence[dict[str, Any]]) -> go.Figure:
    """Each strategy's annualised Sharpe ratio over a trailing window (the window is named in the legend)."""
    fig = go.Figure()
    for i, path in enumerate(paths):
        series = path["rolling_sharpe"]
        fig.add_trace(
            go.Scatter(
                x=_dates(series["t"]),
                y=series["v"],
                name=f"{path['label']} ({series['window']} bars)",
                legendgroup=path["label"],
                line={"color": colour(i), "width": 1.3, "dash": _dash(i)},
                hovertemplate="%{y:.2f}",
            )
        )
    _shade_holdout(fig, paths)
    _layout(fig, "Rolling Sharpe ratio (trailing window)", "date (UTC)", "Sharpe ratio (annualised)", hovermode="x")
    fig.update_yaxes(zeroline=True, zerolinecolor="#888")
    return fig


def monthly_returns(path: dict[str, Any]) -> go.Figure:
    """A years × months heatmap of one strategy's compounded monthly returns (red losses, green gains)."""
    monthly = path["monthly"]
    z = [[None if v is None else 100.0 * v for v in row] for row in monthly["returns"]]
    text = [["" if v is None else f"{v:+.1f}%" for v in row] for row in z]
    fig = go.Figure(
        go.Heatmap(
            x=list(MONTHS),
            y=[str(y) for y in monthly["years"]],
            z=z,
            text=text,
            texttemplate="%{text}",
            colorscale="RdYlGn",
            zmid=0.0,
            colorbar={"title": {"text": "return (%)"}},
            hovertemplate="%{x} %{y}: %{z:+.2f}%<extra></extra>",
            xgap=1,
            ygap=1,
        )
    )
    _layout(fig, f"Monthly returns of {path['label']}", "month", "year (UTC)")
    fig.update_yaxes(autorange="reversed", type="category", showgrid=False)
    fig.update_xaxes(showgrid=False)
    return fig


def trades_on_price(paths: Sequence[dict[str, Any]], price: dict[str, Any]) -> go.Figure:
    """The close, with each strategy's entries (▲ long, ▼ short) and exits (✕) at their fill prices. Only the
    first strategy is shown at first; the others are switched on from the legend."""
    fig = go.Figure(
        go.Scatter(
            x=_dates(price["t"]),
            y=price["v"],
            name=f"{price['symbol']} close",
            line={"color": "#7f7f7f", "width": 1.0},
            hovertemplate="%{y:.6g}",
        )
    )
    for i, path in enumerate(paths):
        visible: bool | str = True if i == 0 else "legendonly"
        trades = path["trades"]
        fig.add_trace(
            go.Scatter(
                x=_dates([t["entry_t"] for t in trades]),
                y=[t["entry_price"] for t in trades],
                mode="markers",
                name=f"{path['label']} entries",
                legendgroup=path["label"],
                visible=visible,
                marker={
                    "color": colour(i),
                    "size": 9,
                    "symbol": ["triangle-up" if t["direction"] > 0 else "triangle-down" for t in trades],
                    "line": {"width": 0.5, "color": "#333"},
                },
                customdata=[["long" if t["direction"] > 0 else "short"] for t in trades],
                hovertemplate="%{customdata[0]} entry at %{y:.6g}<extra>" + path["label"] + "</extra>",
            )
        )
        closed = [t for t in trades if t["exit_t"] is not None]
        fig.add_trace(
            go.Scatter(
                x=_dates([t["exit_t"] for t in closed]),
                y=[t["exit_price"] for t in closed],
                mode="markers",
                name=f"{path['label']} exits",
                legendgroup=path["label"],
                visible=visible,
                marker={"color": colour(i), "size": 8, "symbol": "x-thin", "line": {"width": 2, "color": colour(i)}},
                customdata=[[t["pnl"]] for t in closed],
                hovertemplate="exit at %{y:.6g}, trip P&L %{customdata[0]:+.4g}<extra>" + path["label"] + "</extra>",
            )
        )
    shown = sum(len(p["trades"]) for p in paths[:1])
    total = paths[0]["total_trades"] if paths else 0
    note = "" if shown >= total else f" (first {shown:,} of {total:,} round trips)"
    _layout(fig, f"Trades on the price{note}", "date (UTC)", f"{price['symbol']} price (quote currency)")
    _shade_holdout(fig, paths)
    return fig


def return_distribution(paths: Sequence[dict[str, Any]]) -> go.Figure:
    """Each strategy's distribution of bar returns (share of bars per bin), as outlines that stay readable when
    several overlap."""
    fig = go.Figure()
    for i, path in enumerate(paths):
        edges, counts = path["returns"]["edges"], path["returns"]["counts"]
        total = sum(counts) or 1
        centres = [(a + b) / 2 for a, b in zip(edges[:-1], edges[1:], strict=True)]
        fig.add_trace(
            go.Scatter(
                x=centres,
                y=[c / total for c in counts],
                name=path["label"],
                legendgroup=path["label"],
                line={"color": colour(i), "width": 1.5, "shape": "hvh", "dash": _dash(i)},
                hovertemplate="return %{x:.3%}: %{y:.2%} of bars",
            )
        )
    _layout(fig, "Distribution of bar returns", "return per bar (%)", "share of bars (%)")
    fig.update_xaxes(tickformat=".1%", zeroline=True, zerolinecolor="#888")
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return fig


def sensitivity(
    x_name: str, y_name: str, xs: Sequence[Any], ys: Sequence[Any], z: Sequence[Sequence[float | None]], metric: str
) -> go.Figure:
    """``metric`` over a grid of two genes: ``z[j][i]`` at ``x = xs[i]``, ``y = ys[j]`` (``None`` where no
    combination was evaluated)."""
    fig = go.Figure(
        go.Heatmap(
            x=[str(x) for x in xs],
            y=[str(y) for y in ys],
            z=z,
            colorscale="Viridis",
            colorbar={"title": {"text": metric}},
            hovertemplate=f"{x_name} %{{x}}, {y_name} %{{y}}: {metric} %{{z:.4g}}<extra></extra>",
        )
    )
    _layout(fig, f"Parameter sensitivity: {metric} over {x_name} × {y_name}", x_name, y_name)
    fig.update_xaxes(type="category", showgrid=False)
    fig.update_yaxes(type="category", showgrid=False)
    return fig


def fitness(generations: Sequence[dict[str, Any]], seeds: Sequence[str]) -> go.Figure:
    """Best (solid) and mean (dotted) fitness per generation of each seed."""
    fig = go.Figure()
    gens = [g["generation"] for g in generations]
    for i, name in enumerate(seeds):
        for what, dash in (("best", "solid"), ("mean", "dot")):
            fig.add_trace(
                go.Scatter(
                    x=gens,
                    y=[g["seeds"][name][what] for g in generations],
                    name=f"{name} {what}",
                    legendgroup=name,
                    mode="lines+markers",
                    line={"color": colour(i), "dash": dash if i < len(PALETTE) else "dashdot"},
                    hovertemplate="%{y:.4g}",
                )
            )
    _layout(fig, "Fitness per generation (best solid, mean dotted)", "generation", "fitness", hovermode="x")
    fig.update_xaxes(dtick=1)
    return fig


def genes(name: str, distribution: dict[str, Any]) -> go.Figure:
    """Histograms of each gene of one seed's final population, over the gene's bounds."""
    names = distribution["genes"]
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=names)
    for j, (low, high, values) in enumerate(
        zip(distribution["low"], distribution["high"], distribution["values"], strict=True), start=1
    ):
        fig.add_trace(
            go.Histogram(
                x=values,
                xbins={"start": low, "end": high, "size": (high - low) / 20 or 1.0},
                marker_color=colour(0),
                showlegend=False,
                hovertemplate="%{x}: %{y} genomes<extra></extra>",
            ),
            row=1,
            col=j,
        )
        fig.update_xaxes(range=[low, high], row=1, col=j)
    _layout(fig, f"Genes of the final {name} population", "", "genomes")
    fig.update_layout(height=260, margin={"t": 70})
    return fig
