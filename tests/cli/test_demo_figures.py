"""The README's demo figures block: counts, min–max of the promoted entries' holdout figures (Sharpe as is, CAGR
and drawdown as percentages), and the seeds by verdict."""

from __future__ import annotations

import json

from workloads.cli.demo_figures import demo_figures, main


def entry(promoted: bool, sharpe: float, cagr: float, drawdown: float) -> dict[str, object]:
    return {"promoted": promoted, "holdout": {"sharpe": sharpe, "cagr": cagr, "max_drawdown": drawdown}}


RUN = {
    "hall_of_fame": [entry(True, 2.44, 0.733, 0.225), entry(False, 9.0, 50.0, 0.9), entry(True, 1.57, 12.5, 0.276)],
    "verdict": {"seeds_passing": ["volatility_scaling"], "seeds_refused": ["rsi_filter", "vwap_reversion"]},
}


def test_the_ranges_cover_the_promoted_entries_only():
    assert demo_figures(RUN).splitlines() == [
        "- hall of fame: 3 entries, 2 promoted",
        "- promoted, on the holdout span: Sharpe 1.6–2.4 (annualised), CAGR 73–1,250 %, max drawdown 22–28 %",
        "- seeds whose best genome passes: `volatility_scaling`",
        "- seeds refused: `rsi_filter`, `vwap_reversion`",
    ]


def test_a_range_whose_ends_print_alike_is_one_figure():
    run = {**RUN, "hall_of_fame": [entry(True, 2.01, 0.5, 0.2), entry(True, 1.99, 0.5, 0.2)]}
    assert "Sharpe 2.0 (annualised), CAGR 50 %, max drawdown 20 %" in demo_figures(run)


def test_a_run_that_promotes_nothing_says_so_and_quotes_no_range():
    run = {"hall_of_fame": [entry(False, 1.0, 0.1, 0.5)], "verdict": {"seeds_passing": [], "seeds_refused": ["x"]}}
    assert demo_figures(run).splitlines() == [
        "- hall of fame: 1 entries, 0 promoted",
        "- seeds whose best genome passes: none",
        "- seeds refused: `x`",
    ]


def test_the_command_prints_the_block_of_a_stored_run(tmp_path, capsys):
    path = tmp_path / "run.json"
    path.write_text(json.dumps(RUN))
    assert main([str(path)]) == 0
    assert capsys.readouterr().out == demo_figures(RUN) + "\n"
    assert main([]) == 2
