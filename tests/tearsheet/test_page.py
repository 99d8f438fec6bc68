"""The tear sheet page: every chart present by id, nothing fetched at view time, strategies told apart, the holdout
shaded on one curve and a drawdown axis in percent."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.tearsheet.html_checks import element_ids, external_references
from workloads.data.synthetic import generate
from workloads.kernels.simulate import SimConfig
from workloads.seeds.registry import get_seed
from workloads.tearsheet import figures, page, paths

BARS_PER_YEAR = 24 * 365.0
PARAMS = ({"fast": 5, "slow": 20}, {"fast": 8, "slow": 40}, {"fast": 12, "slow": 60}, {"fast": 20, "slow": 90})


@pytest.fixture(scope="module")
def drawn():
    bars = generate(3_000, 11)
    n_train = 2_000
    seed = get_seed("ema_crossover")
    sim = SimConfig(0.001, 0.0005, False, 0.0, BARS_PER_YEAR)
    out = []
    for i, values in enumerate(PARAMS):
        row = seed.genes.row(values)
        train = seed.run(bars.slice(0, n_train), row, sim)
        holdout = seed.run(bars, row, sim, n_train)
        out.append(paths.strategy_path(f"#{i + 1} ema_crossover", train, holdout, BARS_PER_YEAR))
    return bars, n_train, out


@pytest.fixture(scope="module")
def html(drawn):
    bars, _, documents = drawn
    return page.document("test", page.tear_sheet(documents, paths.price(bars), paths.buy_and_hold(bars)))


def test_the_page_has_every_tear_sheet_chart_in_order(html):
    ids = element_ids(html)
    assert [i for i in ids if i in page.TEAR_SHEET_IDS] == list(page.TEAR_SHEET_IDS)


def test_the_page_fetches_nothing_at_view_time(html):
    assert external_references(html) == []
    assert "Plotly.newPlot" in html and html.count("<script") >= len(page.TEAR_SHEET_IDS)


def test_the_reference_check_catches_an_external_script():
    assert external_references('<script src="https://cdn.plot.ly/plotly.js"></script><img src="x.png">') == [
        "<script src=https://cdn.plot.ly/plotly.js>",
        "<img src=x.png>",
    ]


def test_paths_are_plain_json(drawn):
    _, _, documents = drawn
    assert json.loads(json.dumps(documents, allow_nan=False)) == documents


def test_each_strategy_has_its_own_colour_in_every_chart(drawn):
    bars, _, documents = drawn
    for fig in (figures.equity(documents, None), figures.drawdown(documents), figures.rolling_sharpe(documents)):
        colours = [trace.line.color for trace in fig.data]
        assert len(set(colours)) == len(colours) == len(documents)
        assert [trace.name.split(" (")[0] for trace in fig.data] == [d["label"] for d in documents]


def test_twenty_strategies_never_share_colour_and_dash():
    styles = {(figures.colour(i), figures._dash(i)) for i in range(20)}
    assert len(styles) == 20


def test_train_and_holdout_are_one_curve_with_the_holdout_shaded(drawn):
    bars, n_train, documents = drawn
    fig = figures.equity(documents, paths.buy_and_hold(bars))
    first = fig.data[0]
    holdout_start = np.datetime64(int(bars.timestamp[n_train]) // 1_000_000, "ms")
    assert str(first.x[0]) < str(holdout_start) < str(first.x[-1])
    (shade,) = fig.layout.shapes
    assert np.datetime64(shade.x0) == holdout_start and shade.x1 == first.x[-1]


def test_the_holdout_curve_continues_from_the_last_training_equity(drawn):
    bars, n_train, documents = drawn
    seed = get_seed("ema_crossover")
    sim = SimConfig(0.001, 0.0005, False, 0.0, BARS_PER_YEAR)
    row = seed.genes.row(PARAMS[0])
    train = seed.run(bars.slice(0, n_train), row, sim)
    holdout = seed.run(bars, row, sim, n_train)
    end = documents[0]["equity"]["v"][-1]
    assert end == pytest.approx(train.equity[-1] * holdout.equity[-1] / holdout.equity[0], rel=1e-12)


def test_the_drawdown_axis_is_in_percent_and_never_above_zero(drawn):
    _, _, documents = drawn
    fig = figures.drawdown(documents)
    assert fig.layout.yaxis.tickformat == ".0%"
    assert all(v <= 0.0 and str(v) != "-0.0" for trace in fig.data for v in trace.y)


def test_every_chart_names_its_axes(drawn):
    bars, _, documents = drawn
    charts = [
        figures.equity(documents, None),
        figures.drawdown(documents),
        figures.rolling_sharpe(documents),
        figures.monthly_returns(documents[0]),
        figures.trades_on_price(documents, paths.price(bars)),
        figures.return_distribution(documents),
    ]
    for fig in charts:
        assert fig.layout.title.text and fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
        assert fig.layout.xaxis.ticks == "outside" and fig.layout.yaxis.ticks == "outside"


def test_the_key_stats_card_has_a_row_per_strategy_and_span(html, drawn):
    _, _, documents = drawn
    card = html[html.index('id="key-stats"') :]
    card = card[: card.index("</table>")]
    assert card.count("<tr>") == 1 + 2 * len(documents)
    for heading in ("Sortino", "Calmar", "profit factor", "exposure", "fee drag", "funding drag"):
        assert f"<th>{heading}</th>" in card


def test_a_reduced_drawdown_keeps_every_bucket_deepest_point():
    values = np.zeros(10 * paths.POINTS)
    values[12_345] = -0.4
    values[3] = -0.1
    reduced = paths.troughs(np.arange(values.shape[0], dtype=np.int64) * 1_000_000, values)
    assert len(reduced["v"]) <= paths.POINTS and sorted(reduced["v"])[:2] == [-0.4, -0.1]
    assert 12_345 in reduced["t"]


def test_the_card_never_shows_a_negative_zero(drawn):
    _, _, documents = drawn
    tiny = [{**documents[0], "stats": {"train": {**documents[0]["stats"]["train"], "funding_drag": -1e-7}}}]
    card = page.key_stats_card(tiny)
    assert "-0.00%" not in card and "+0.00%" in card
