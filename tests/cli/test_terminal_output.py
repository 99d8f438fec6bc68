"""Terminal output never hides a verdict (docs/cli.md#terminal-output): the demo's hall of fame piped and on 80- and
140-column terminals keeps every verdict and refusal reason whole; the progress line keeps its generation, rate and
ETA at 80 columns; help text is plain."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from workloads.cli import app
from workloads.cli.layout import format_metric, print_hall_of_fame
from workloads.cli.progress import COMPILING, evolution_progress, generation_info, starting_info

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
BOX = set("│┃┏┓┗┛━─┡┩╇╋┼╭╮╰╯")


def cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workloads.cli", *args],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=1800,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """``genepool demo`` with its stdout piped (not a terminal) and COLUMNS=80, and the run it wrote."""
    root = tmp_path_factory.mktemp("demo")
    env = {"GENEPOOL_HOME": str(root / "home"), "COLUMNS": "80", "PYTHONPATH": str(Path.cwd())}
    done = cli(["demo", "--out-dir", str(root / "out")], env, root)
    assert done.returncode == 0, done.stderr
    (run_file,) = (root / "home" / "runs").glob("*/run.json")
    return root, env, done, json.loads(run_file.read_text())


def expected_lines(run: dict) -> list[str]:
    """What must appear whole: each hall-of-fame entry's head line with its verdict and each refusal reason, and
    each refused seed with the reasons its best genome was refused."""
    lines = []
    for rank, entry in enumerate(run["hall_of_fame"], 1):
        lines.append(f"#{rank} {entry['strategy']}: {'promoted' if entry['promoted'] else 'refused'}")
        lines.extend(f"failed: {reason}" for reason in entry["gate"])
    for name, best in run["best_by_seed"].items():
        if not best["promoted"]:
            lines.append(f"seed {name}: refused")
            lines.extend(f"failed: {reason}" for reason in best["gate"])
    return lines


def reasons(run: dict) -> list[str]:
    entries = [*run["hall_of_fame"], *run["best_by_seed"].values()]
    return [reason for entry in entries for reason in entry["gate"]]


def test_the_piped_demo_prints_every_verdict_and_refusal_reason_whole(demo):
    _, _, done, run = demo
    assert run["hall_of_fame"] and reasons(run)
    lines = [line.strip() for line in done.stdout.splitlines()]
    for wanted in expected_lines(run):
        assert wanted in lines
    assert f"verdict: {run['verdict']['line']}" in lines
    assert not BOX & set(done.stdout) and "\x1b[" not in done.stdout


def test_on_an_80_column_terminal_every_verdict_and_refusal_reason_is_whole(demo):
    root, env, _, run = demo
    shown = cli(["runs", "show", "latest"], {**env, "TTY_COMPATIBLE": "1"}, root)
    assert shown.returncode == 0, shown.stderr
    text = ANSI.sub("", shown.stdout)
    assert max(len(line) for line in text.splitlines()) <= 80
    lines = [line.strip() for line in text.splitlines()]
    for wanted in expected_lines(run):
        assert wanted in lines
    assert f"verdict: {run['verdict']['line']}" in " ".join(text.split())


def test_on_a_140_column_terminal_the_table_folds_instead_of_truncating(demo):
    root, env, _, run = demo
    shown = cli(["runs", "show", "latest"], {**env, "TTY_COMPATIBLE": "1", "COLUMNS": "140"}, root)
    assert shown.returncode == 0, shown.stderr
    text = ANSI.sub("", shown.stdout)
    assert "┃" in text and "…" not in text
    cells = " ".join(" ".join(part.strip() for part in line.split("│")) for line in text.splitlines())
    for reason in reasons(run):
        assert reason in text, reason
    for entry in run["hall_of_fame"]:
        assert format_metric("total_return", (entry["holdout"] or {}).get("total_return")) in cells


@pytest.mark.parametrize("width", [60, 80, 140])
def test_the_hall_of_fame_keeps_every_reason_at_any_width(demo, width):
    run = demo[3]
    for terminal in (True, False):
        buffer = io.StringIO()
        print_hall_of_fame(Console(file=buffer, width=width, force_terminal=terminal, color_system=None), run)
        text = buffer.getvalue()
        assert "…" not in text
        for reason in reasons(run):
            assert reason in text, (width, terminal, reason)


def test_the_progress_line_keeps_generation_rate_and_eta_at_80_columns():
    buffer = io.StringIO()
    console = Console(file=buffer, width=80, force_terminal=True, color_system=None)
    progress = evolution_progress(console, disable=False)
    leaders = {f"seed_number_{i}": 10.0 + i for i in range(12)}
    task = progress.add_task("evolving", total=10, completed=3, **generation_info(123_456, 2.0, leaders))
    progress.update(task, completed=4)
    console.print(progress.make_tasks_table(progress.tasks))
    (line,) = [line for line in buffer.getvalue().splitlines() if line.strip()]
    assert len(line) <= 80
    assert "generation 4/10" in line and "61,728 evals/s" in line and re.search(r"ETA (-:--:--|\d+:\d\d:\d\d)", line)


def test_before_the_first_generation_a_cold_cache_says_kernels_are_compiling():
    assert starting_info(cold_cache=True)["info"] == COMPILING == "compiling kernels (first run only)"
    assert starting_info(cold_cache=False)["info"] != COMPILING


def test_kernels_are_cached_only_once_an_index_file_exists(tmp_path, monkeypatch):
    import numba

    from workloads.kernels import kernels_cached

    monkeypatch.setattr(numba.config, "CACHE_DIR", str(tmp_path))
    assert not kernels_cached()
    (tmp_path / "workloads").mkdir()
    (tmp_path / "workloads" / "simulate.open_accounts-151.py311.nbi").write_bytes(b"")
    assert kernels_cached()


def every_command(command, path=()):
    yield list(path)
    for name, sub in getattr(command, "commands", {}).items():
        yield from every_command(sub, (*path, name))


def test_help_texts_are_plain_without_rst_or_bool_placeholders():
    import typer

    runner = CliRunner()
    for path in every_command(typer.main.get_command(app)):
        text = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"}).output
        for stray in ("``", "<bool>", ":func:", ":class:", ":meth:"):
            assert stray not in text, (path, stray)
        assert not re.search(r"\bissue\s+#?\d", text, re.IGNORECASE), path


def test_the_top_level_help_offers_completion_and_a_log_level():
    text = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "100"}).output
    assert "--install-completion" in text and "--show-completion" in text and "--log-level" in text


def test_log_level_sets_which_log_lines_reach_stderr(tmp_path):
    data = tmp_path / "stock.csv"
    rows = [f"2024-01-{day:02d},10,11,9,10.5,9.9,1000" for day in range(1, 31)]
    data.write_text("Date,Open,High,Low,Close,Adj Close,Volume\n" + "\n".join(rows) + "\n")
    env = {"PYTHONPATH": str(Path.cwd())}
    default = cli(["data", "inspect", str(data), "--json"], env, tmp_path)
    quiet = cli(["--log-level", "error", "data", "inspect", str(data), "--json"], env, tmp_path)
    verbose = cli(["--log-level", "info", "data", "inspect", str(data), "--json"], env, tmp_path)
    assert default.returncode == quiet.returncode == verbose.returncode == 0
    assert "'Adj Close' is ignored" in default.stderr
    assert "Adj Close" not in quiet.stderr
    assert "WARNING workloads.data.loaders: " in verbose.stderr
    assert json.loads(quiet.stdout) == json.loads(verbose.stdout)


def test_a_bad_log_level_is_refused():
    result = CliRunner().invoke(app, ["--log-level", "loud", "strategies", "list"])
    assert result.exit_code == 2 and "loud" in result.output
