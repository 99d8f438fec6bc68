"""The README's demo figures, rendered from a demo run's stored record (``$GENEPOOL_HOME/runs/<run_id>/run.json``).

The README quotes this block verbatim between its ``demo figures`` markers, and tests/cli/test_demo.py renders it
from a fresh ``genepool demo`` run and compares, so the README can only say what the demo does. To refresh it after
a change that moves the demo's results::

    python -m workloads.cli.demo_figures $GENEPOOL_HOME/runs/<run_id>/run.json

Conventions: Sharpe is annualised; CAGR and drawdown are printed as percentages of the holdout span's equity;
ranges are min–max over the promoted hall-of-fame entries.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def _span(values: Sequence[float], digits: int, scale: float = 1.0, unit: str = "") -> str:
    """``min–max`` of ``values`` × ``scale`` with ``digits`` decimals (one figure when they print the same)."""
    low, high = (f"{value * scale:,.{digits}f}" for value in (min(values), max(values)))
    return f"{low}{unit}" if low == high else f"{low}–{high}{unit}"


def demo_figures(run: Mapping[str, Any]) -> str:
    """The Markdown bullet list of the run's verdict: counts, the promoted entries' holdout ranges, the seeds."""
    hall = run["hall_of_fame"]
    promoted = [entry for entry in hall if entry["promoted"]]
    verdict = run["verdict"]
    lines = [f"- hall of fame: {len(hall)} entries, {len(promoted)} promoted"]
    if promoted:
        holdout = [entry["holdout"] for entry in promoted]
        lines += [
            f"- promoted, on the holdout span: Sharpe {_span([h['sharpe'] for h in holdout], 1)} (annualised), "
            f"CAGR {_span([h['cagr'] for h in holdout], 0, 100.0, ' %')}, "
            f"max drawdown {_span([h['max_drawdown'] for h in holdout], 0, 100.0, ' %')}",
        ]
    lines += [
        f"- seeds whose best genome passes: {', '.join(f'`{s}`' for s in verdict['seeds_passing']) or 'none'}",
        f"- seeds refused: {', '.join(f'`{s}`' for s in verdict['seeds_refused']) or 'none'}",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m workloads.cli.demo_figures RUN_JSON", file=sys.stderr)
        return 2
    print(demo_figures(json.loads(Path(argv[0]).read_text())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
