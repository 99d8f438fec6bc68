"""The ``genepool`` command line starts fast: importing it loads only the standard library, typer/click/rich, numpy
and light ``workloads`` modules; each command imports its heavy libraries when it runs."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from workloads.cli import app

HEAVY_MODULES = (
    "scipy",
    "pyarrow",
    "sklearn",
    "numba",
    "redis",
    "psycopg",
    "psycopg_pool",
    "duckdb",
    "ray",
    "fastapi",
    "uvicorn",
    "httpx",
    "pandas",
    "plotly",
    "prometheus_client",
    "workloads.kernels",
    "workloads.evolution",
    "workloads.storage",
    "workloads.cache",
    "workloads.data.loaders",
    "workloads.data.synthetic",
)

COMMANDS = (
    "data",
    "demo",
    "backtest",
    "sweep",
    "bench",
    "evolve",
    "report",
    "strategies",
    "readiness",
    "health",
    "serve",
    "schedule",
    "api",
)


def test_importing_the_cli_loads_no_heavy_module():
    probe = (
        "import json, sys\n"
        "import workloads.cli\n"
        f"heavy = {HEAVY_MODULES!r}\n"
        "print(json.dumps([h for h in heavy if h in sys.modules]))\n"
    )
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = json.loads(completed.stdout)
    assert not loaded, (
        f"`import workloads.cli` loaded heavy modules: {', '.join(loaded)}. Import them inside the command function "
        "that needs them; find who imported them with `python -X importtime -c 'import workloads.cli' 2>&1 | less` "
        "(a module's own imports are listed, indented, just above it)."
    )


def test_help_lists_every_command():
    result = CliRunner().invoke(app, ["--help"])

    assert result.exit_code == 0, result.output
    first_words = {line.strip("│ ").split(" ", 1)[0] for line in result.output.splitlines()}
    missing = [command for command in COMMANDS if command not in first_words]
    assert not missing, f"--help does not list {missing}:\n{result.output}"


@pytest.fixture(scope="module")
def sweep_modules(tmp_path_factory) -> set[str]:
    """The modules loaded by the end of a ``genepool sweep ... --json`` process."""
    from workloads.data.loaders import write_bars
    from workloads.data.synthetic import generate

    data = tmp_path_factory.mktemp("sweep") / "bars.parquet"
    write_bars(generate(500, 3), data)
    argv = ["genepool", "sweep", "--data", str(data), "--strategy", "ema_crossover", "--grid", "fast=5:8:1", "--json"]
    probe = (
        "import json, sys\n"
        "from workloads.cli import main\n"
        f"sys.argv = {argv!r}\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout)["evaluated"] == 4
    return set(json.loads(done.stderr.splitlines()[-1]))


def test_a_sweep_imports_no_other_commands_module(sweep_modules):
    from workloads.cli import COMMANDS

    sweep_module = next(entry for entry in COMMANDS if entry.name == "sweep").target.split(":")[0]
    command_modules = {entry.target.split(":")[0] for entry in COMMANDS} | {m for e in COMMANDS for m in e.extends}
    others = sorted(sweep_modules & (command_modules - {sweep_module}))
    assert not others, (
        f"`genepool sweep` imported {others}: import what the command needs from a module of its own "
        "(workloads.cli.common, layout) or inside the function that needs it."
    )


def test_a_sweep_imports_neither_pydantic_nor_pyarrow_compute(sweep_modules):
    assert not {"pydantic", "pyarrow.compute"} & sweep_modules
