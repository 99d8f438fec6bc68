"""Terminal layout that never hides a verdict (docs/cli.md#terminal-output).

Rules, for every command that prints tables:

- **No truncation.** Every column folds (wraps, breaking a long word if it must) instead of ending in ``…``: at any
  width the whole of each cell is printed. Legends are printed as wrapped paragraphs below a table, never as a
  table caption cut to the table's width.
- **Plain when piped.** When stdout is not a terminal (a pipe, a file, a CI log) the hall of fame and the run
  listings are printed as plain lines, one record per block, never wrapped (long lines stay whole for ``grep``)
  and without box-drawing characters. Colours are dropped by rich itself.
- **Stacked when narrow.** On a terminal narrower than :data:`WIDE_TABLE` columns, the hall of fame is printed as
  one block per entry (the rank, strategy and verdict on the first line, each refusal reason on its own line)
  instead of a table whose columns would be squeezed; any other table is stacked the same way (one
  ``header: value`` block per row) when the terminal cannot fit the longest word of each of its columns.

Numbers: one format for each metric everywhere (:func:`format_metric`): fractions of equity as percentages with one
decimal (``12.3%``, ``-4.0%``), ratios with two decimals, counts as integers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

WIDE_TABLE = 130
"""Terminal width (columns) from which the hall of fame is drawn as a table."""
REASON_WIDTH = 36
"""The verdict column of the hall-of-fame table is kept as wide as its longest refusal reason, up to this."""

PERCENT_METRICS = frozenset({"total_return", "cagr", "max_drawdown", "win_rate", "exposure", "funding_pnl"})
"""Metrics that are fractions (of equity, of bars, of trips), printed as percentages."""
COUNT_METRICS = frozenset({"trades", "bars"})


def format_metric(name: str, value: float | None) -> str:
    """``value`` of metric ``name`` as printed everywhere: ``—`` when absent (or not finite), a percentage for a
    fraction (:data:`PERCENT_METRICS`), an integer for a count, else two decimals (``final_equity``: 4 significant
    digits)."""
    if value is None or not math.isfinite(value):
        return "—"
    if name in PERCENT_METRICS:
        return f"{value:,.1%}"
    if name in COUNT_METRICS:
        return f"{value:,.0f}"
    if name == "final_equity":
        return f"{value:,.4g}"
    return f"{value:,.2f}"


def plain(console: Console) -> bool:
    """True when ``console`` is not a terminal: records as plain lines (see the module doc)."""
    return not console.is_terminal


WORD_WIDTH = 24
"""A column is kept at least as wide as its longest word up to this many characters (when they all fit), so that
names wrap between words rather than inside them."""


def fold(table: Table, width: int | None = None) -> Table:
    """``table`` with every column folding instead of truncating (see the module doc). Call it once the rows are
    added: when ``width`` (the console's) leaves room, each column is kept at least as wide as its longest word (up
    to :data:`WORD_WIDTH`); otherwise the columns share the width and long words fold."""
    longest = _longest_words(table)
    for column in table.columns:
        column.overflow = "fold"
        column.no_wrap = False
    if width is None or _fits(longest, width):
        for column, least in zip(table.columns, longest, strict=True):
            column.min_width = max(column.min_width or 0, least)
    return table


def _longest_words(table: Table) -> list[int]:
    """Per column, its longest word (header included), up to :data:`WORD_WIDTH`."""
    longest = []
    for column in table.columns:
        words = [len(word) for cell in column.cells for word in _plain(cell).split()]
        longest.append(min(max([len(_plain(column.header)), *words]), WORD_WIDTH))
    return longest


def _fits(longest: list[int], width: int) -> bool:
    """Whether columns this wide, with the table's borders and padding, fit in ``width``."""
    return sum(longest) + 3 * len(longest) + 1 <= width


def _plain(cell: object) -> str:
    """The text of a table cell (markup removed)."""
    if isinstance(cell, Text):
        return cell.plain
    return Text.from_markup(str(cell)).plain if isinstance(cell, str) else str(cell)


def table_lines(table: Table) -> list[str]:
    """``table`` as plain lines: its title, then one block per row (``header: value``, the first on its own line and
    the others indented; a header-less two-column table gives one ``key: value`` line per row). Multi-line cells are
    joined with ``; ``."""
    lines = [_plain(table.title)] if table.title else []
    columns = [["; ".join(_plain(cell).strip().splitlines()) for cell in column.cells] for column in table.columns]
    headers = [_plain(column.header) for column in table.columns]
    for cells in zip(*columns, strict=True):
        if not table.show_header and len(cells) == 2:
            lines.append(f"{cells[0]}: {cells[1]}")
            continue
        lines.append(f"{headers[0]}: {cells[0]}")
        lines.extend(f"    {header}: {value}" for header, value in zip(headers[1:], cells[1:], strict=True))
    return lines


def print_table(console: Console, table: Table) -> None:
    """A table on a terminal wide enough for its longest words (folding, never truncated); plain lines
    (:func:`table_lines`) when not a terminal or when the terminal is narrower than that (stacked)."""
    if plain(console) or not _fits(_longest_words(table), console.width):
        print_lines(console, table_lines(table))
    else:
        console.print(fold(table, console.width))


def print_paragraph(console: Console, text: str) -> None:
    """A legend or note: wrapped at word boundaries on a terminal, one unwrapped line when plain."""
    print_lines(console, [text])


def print_lines(console: Console, lines: Iterable[str]) -> None:
    """Plain-text lines (no markup): whole and unwrapped when plain (``soft_wrap``: neither wrapped nor cropped),
    wrapped at word boundaries (folding a word longer than the width) on a terminal."""
    for line in lines:
        if plain(console):
            console.print(line, highlight=False, markup=False, soft_wrap=True)
        else:
            console.print(line, highlight=False, markup=False, overflow="fold")


def _params_text(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())


def _verdict_text(entry: dict[str, Any]) -> str:
    return "promoted" if entry["promoted"] else "refused"


def hall_of_fame_legend(summary: dict[str, Any]) -> str:
    """What the numbers of the hall of fame mean (printed below it)."""
    return (
        "Sharpe (SR): annualised, on the training span (tr) and on the holdout (ho), which the search never saw; "
        "return (ret): holdout total return; DSR: deflated Sharpe ratio of the training returns against "
        f"{summary['n_eff'] or 0:.0f} effective trials; verdict: promoted, or each rule the entry failed."
    )


def hall_of_fame_blocks(summary: dict[str, Any]) -> list[str]:
    """The hall of fame as plain lines: per entry a head line (rank, strategy, verdict), its parameters, its
    numbers and, when refused, one line per failed rule."""
    lines: list[str] = []
    for rank, entry in enumerate(summary["hall_of_fame"], 1):
        holdout = entry["holdout"] or {}
        lines.append(f"#{rank} {entry['strategy']}: {_verdict_text(entry)}")
        lines.append(f"    params: {_params_text(entry['params'])}")
        lines.append(
            f"    train: fitness {format_metric('fitness', entry['fitness'])}, "
            f"Sharpe {format_metric('sharpe', entry['train']['sharpe'])}, DSR {_dsr_text(entry['dsr'])}"
        )
        lines.append(
            f"    holdout: Sharpe {format_metric('sharpe', holdout.get('sharpe'))}, "
            f"return {format_metric('total_return', holdout.get('total_return'))}"
        )
        lines.extend(f"    failed: {reason}" for reason in entry["gate"])
    return lines


def _dsr_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def hall_of_fame_table(summary: dict[str, Any]) -> Table:
    """The hall of fame as a rich table whose cells fold (wide terminals)."""
    table = Table(title=f"Hall of fame — run {escape(summary['run_id'])}")
    table.add_column("#", justify="right")
    table.add_column("strategy / params", justify="left", min_width=24, ratio=2)
    for column in ("fitness", "SR tr", "SR ho", "ret ho", "DSR"):
        table.add_column(column, justify="right")
    reasons = [len(reason) for entry in summary["hall_of_fame"] for reason in entry["gate"]]
    table.add_column("verdict", justify="left", min_width=min(max([8, *reasons]), REASON_WIDTH), ratio=2)
    for rank, entry in enumerate(summary["hall_of_fame"], 1):
        holdout = entry["holdout"] or {}
        verdict = "[bold green]promoted[/]" if entry["promoted"] else "\n".join(escape(r) for r in entry["gate"])
        table.add_row(
            str(rank),
            f"[bold]{escape(entry['strategy'])}[/]\n{escape(_params_text(entry['params']))}",
            format_metric("fitness", entry["fitness"]),
            format_metric("sharpe", entry["train"]["sharpe"]),
            format_metric("sharpe", holdout.get("sharpe")),
            format_metric("total_return", holdout.get("total_return")),
            _dsr_text(entry["dsr"]),
            verdict,
        )
    return table


def print_hall_of_fame(console: Console, summary: dict[str, Any]) -> None:
    """The hall of fame, its legend and the run's verdict (see the module doc for the layout rules)."""
    if plain(console) or console.width < WIDE_TABLE:
        print_lines(console, [f"Hall of fame — run {summary['run_id']}", *hall_of_fame_blocks(summary)])
    else:
        console.print(fold(hall_of_fame_table(summary), console.width))
    print_paragraph(console, hall_of_fame_legend(summary))
    print_paragraph(console, f"verdict: {summary['verdict']['line']}")
    passing = ", ".join(summary["verdict"]["seeds_passing"]) or "none"
    refused = ", ".join(summary["verdict"]["seeds_refused"]) or "none"
    print_paragraph(console, f"seeds whose best passes: {passing}; refused: {refused}")
    print_lines(console, seed_refusal_lines(summary))


def seed_refusal_lines(summary: dict[str, Any]) -> list[str]:
    """Why each refused seed's best genome was refused: ``seed NAME: refused`` then one ``failed: <rule>`` line
    per rule it failed."""
    lines = []
    for name, best in (summary.get("best_by_seed") or {}).items():
        if best["promoted"]:
            continue
        lines.append(f"seed {name}: refused")
        lines.extend(f"    failed: {reason}" for reason in best["gate"])
    return lines


def print_records(console: Console, title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Rows of text cells (no markup) through :func:`print_table`."""
    table = Table(title=escape(title))
    for name in columns:
        table.add_column(name)
    for row in rows:
        table.add_row(*(escape(cell) for cell in row))
    print_table(console, table)
