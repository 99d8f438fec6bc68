"""Helpers shared by CLI command modules: bad-input exits, JSON output, duration parsing."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

console = Console()
error_console = Console(stderr=True)

EXIT_BAD_INPUT = 2


def fail_bad_input(message: str) -> typer.Exit:
    """Print ``error: message`` to stderr and return the exit (code 2) for the caller to raise."""
    error_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(EXIT_BAD_INPUT)


@contextmanager
def bad_input_exits() -> Iterator[None]:
    """Turn :class:`ValueError` (``DataError`` included) raised inside the block into exit code 2 with its message."""
    try:
        yield
    except ValueError as exc:
        raise fail_bad_input(str(exc)) from None


def print_json(payload: Any) -> None:
    """Machine-readable output on stdout: one JSON document, nothing else."""
    sys.stdout.write(json.dumps(payload, indent=2, allow_nan=False, default=str) + "\n")


_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d)?\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}


def parse_interval(text: str) -> int:
    """``"1h"``, ``"15m"``, ``"1d"``, ``"30s"`` or plain seconds → seconds."""
    match = _DURATION.match(text)
    if not match or int(match.group(1)) <= 0:
        raise ValueError(f"--interval {text!r}: expected a positive duration such as 30s, 15m, 1h or 1d")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2) or "s"]
