"""The evolution's progress line (stderr): generation, evaluations per second and ETA always shown.

Columns, left to right: ``generation M/N``, a short bar, ``<rate> evals/s``, ``ETA h:mm:ss``, then the best
fitness per seed. The first four have fixed widths that fit together in 80 columns and never wrap or shrink; only
the last (the leaders, a convenience repeated in full by the hall of fame) is cut with ``…`` when the terminal is too
narrow. Until the first generation reports, the last column says what is happening: on a cold Numba cache (the
first run after installing or upgrading) ``compiling kernels (first run only)``, which can take a minute or two
and is also printed once as a line of its own (:data:`COMPILING_NOTE`), whole at any width.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Column

COMPILING = "compiling kernels (first run only)"
COMPILING_NOTE = "compiling kernels (first run only): the first generation can take a minute or two"
EVALUATING = "evaluating the first generation"
BAR_WIDTH = 10
LEADERS = 4
"""Seeds named in the leaders column."""


GENERATION_WIDTH = len("generation 999/999")
RATE_WIDTH = len("99,999,999 evals/s")
TIME_WIDTH = len("0:00:00")
FIXED_WIDTH = GENERATION_WIDTH + BAR_WIDTH + RATE_WIDTH + len("ETA") + TIME_WIDTH + 5
"""Columns taken by everything but the leaders (five one-space separators included)."""
LEADERS_MIN_WIDTH = 8


def evolution_progress(console: Console, disable: bool) -> Progress:
    """The progress display of ``genepool evolve`` on ``console``: the fixed columns keep their widths and the
    leaders column gets what is left of the console's width (at least :data:`LEADERS_MIN_WIDTH`)."""

    def fixed(width: int) -> Column:
        return Column(no_wrap=True, min_width=width, overflow="crop")

    leaders_width = max(LEADERS_MIN_WIDTH, console.width - FIXED_WIDTH - 1)
    return Progress(
        TextColumn("generation {task.completed}/{task.total}", table_column=fixed(GENERATION_WIDTH)),
        BarColumn(bar_width=BAR_WIDTH, table_column=fixed(BAR_WIDTH)),
        TextColumn("{task.fields[rate]}", justify="right", table_column=fixed(RATE_WIDTH)),
        TextColumn("ETA", table_column=fixed(len("ETA"))),
        TimeRemainingColumn(table_column=fixed(TIME_WIDTH)),
        TextColumn(
            "{task.fields[info]}",
            table_column=Column(no_wrap=True, overflow="ellipsis", max_width=leaders_width),
        ),
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
