"""The evolution's progress line (stderr): generation, evaluations per second and ETA always shown.

Columns, left to right: ``generation M/N``, a short bar, ``<rate> evals/s``, elapsed time, ``ETA h:mm:ss``, then
the best fitness per seed. The first five have fixed widths that fit together in 80 columns and never wrap or
shrink; only the last (the leaders, a convenience repeated in full by the hall of fame) is cut with ``…`` when the
terminal is too narrow. Until the first generation reports, the last column says what is happening: on a cold
Numba cache (the first run after installing or upgrading) ``compiling kernels (first run only)``, which can take
a minute or two.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Column

COMPILING = "compiling kernels (first run only)"
EVALUATING = "evaluating the first generation"
BAR_WIDTH = 12
LEADERS = 4
"""Seeds named in the leaders column."""


def evolution_progress(console: Console, disable: bool) -> Progress:
    """The progress display of ``genepool evolve`` on ``console``."""

    def fixed(template: str, width: int | None = None) -> TextColumn:
        return TextColumn(template, table_column=Column(no_wrap=True, min_width=width))

    return Progress(
        fixed("generation {task.completed}/{task.total}"),
        BarColumn(bar_width=BAR_WIDTH),
        fixed("{task.fields[rate]}", 14),
        TimeElapsedColumn(table_column=Column(no_wrap=True)),
        fixed("ETA"),
        TimeRemainingColumn(table_column=Column(no_wrap=True)),
        TextColumn("{task.fields[info]}", table_column=Column(ratio=1, no_wrap=True, overflow="ellipsis")),
        console=console,
        disable=disable,
        transient=False,
    )


def starting_info(cold_cache: bool) -> dict[str, Any]:
    """The task fields shown until the first generation reports."""
    return {"rate": "— evals/s", "info": COMPILING if cold_cache else EVALUATING}


def generation_info(evaluations: int, seconds: float, leaders: dict[str, float]) -> dict[str, Any]:
    """The task fields after a generation: its evaluation rate and the best fitness of the leading seeds."""
    rate = evaluations / max(seconds, 1e-9)
    best = ", ".join(f"{name} {value:.2f}" for name, value in sorted(leaders.items(), key=lambda kv: -kv[1])[:LEADERS])
    return {"rate": f"{rate:,.0f} evals/s", "info": f"best {best}"}
