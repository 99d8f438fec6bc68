"""``genepool`` registers its commands by name and imports a command's module only when it runs
(``workloads/cli/lazy.py``): what users see — every help text, shell completion, unknown-command errors and exit
codes — is what the same commands give registered eagerly on a typer app, the usual way."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from workloads.cli import COMMANDS, app, configure

runner = CliRunner()


def eager_app() -> typer.Typer:
    """The root app with every command registered at once, each module imported (as ``genepool`` did before its
    commands were lazy: ``api`` imports ``state`` before ``fetch`` is imported, the order in which they add their
    subcommands to the data group)."""
    from workloads.cli import (
        api,
        backtest,
        bench,
        data,
        db,
        demo,
        evolve,
        fetch,  # noqa: F401 - registers `data fetch` on the data group
        runs,
        schedule,
        state,
        strategies,
    )

    eager = typer.Typer(
        name=app.info.name,
        help=app.info.help,
        no_args_is_help=app.info.no_args_is_help,
        pretty_exceptions_enable=app.pretty_exceptions_enable,
        rich_markup_mode=app.rich_markup_mode,
    )
    eager.callback()(configure)
    eager.add_typer(data.app, name="data")
    eager.add_typer(api.app, name="api")
    eager.add_typer(db.app, name="db")
    eager.command("demo")(demo.demo)
    eager.command("backtest")(backtest.backtest)
    eager.command("sweep")(backtest.sweep)
    eager.command("bench")(bench.bench)
    eager.command("evolve")(evolve.evolve)
    eager.command("report")(evolve.report)
    eager.add_typer(runs.app, name="runs")
    eager.add_typer(strategies.app, name="strategies")
    eager.command("readiness")(strategies.readiness)
    eager.command("health")(state.health)
    eager.command("serve")(state.serve)
    eager.add_typer(schedule.app, name="schedule")
    return eager


def every_command(command, path=()):
    yield list(path)
    for name, sub in getattr(command, "commands", {}).items():
        yield from every_command(sub, (*path, name))


def outcome(cli: typer.Typer, args: list[str], env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(cli, args, env={"COLUMNS": "80", **(env or {})}, prog_name="genepool")
    return result.exit_code, result.stdout, result.stderr


def completion(shell: str, line: str) -> dict[str, str]:
    """The environment in which typer completes ``line`` for ``shell``."""
    return {
        "_GENEPOOL_COMPLETE": f"complete_{shell}",
        "COMP_WORDS": line,
        "COMP_CWORD": str(len(line.split(" ")) - 1),
        "_TYPER_COMPLETE_ARGS": line,
        "_TYPER_COMPLETE_FISH_ACTION": "get-args",
    }


def test_every_help_text_is_the_eager_clis():
    eager = eager_app()
    paths = list(every_command(typer.main.get_command(eager)))

    assert len(paths) > len(COMMANDS)
    for path in paths:
        assert outcome(app, [*path, "--help"]) == outcome(eager, [*path, "--help"]), path


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
@pytest.mark.parametrize("line", ["genepool ", "genepool s", "genepool d", "genepool x"])
def test_command_names_complete_as_in_the_eager_cli(shell, line):
    assert outcome(app, [], completion(shell, line)) == outcome(eager_app(), [], completion(shell, line))


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
@pytest.mark.parametrize("line", ["genepool data ", "genepool runs s", "genepool sweep --", "genepool --"])
def test_subcommands_and_options_complete_as_in_the_eager_cli(shell, line):
    assert outcome(app, [], completion(shell, line)) == outcome(eager_app(), [], completion(shell, line))


@pytest.mark.parametrize("args", [[], ["nosuch"], ["swep"], ["data"], ["data", "imprt"], ["--log-level", "x", "sweep"]])
def test_bad_command_lines_fail_as_in_the_eager_cli(args):
    lazy = outcome(app, args)

    assert lazy == outcome(eager_app(), args)
    assert lazy[0] == 2


def test_each_summary_is_the_first_sentence_of_its_commands_help():
    commands = typer.main.get_command(eager_app()).commands  # type: ignore[attr-defined]

    for entry in COMMANDS:
        words = commands[entry.name].help.split("\n\n")[0].split()
        end = next(i for i, word in enumerate(words) if word.endswith("."))
        assert entry.summary == " ".join(words[: end + 1]), entry.name


def test_listing_the_commands_imports_no_command_module():
    probe = (
        "import json, sys\n"
        "from workloads.cli import main\n"
        "sys.argv = ['genepool', '--help']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('workloads.cli.'))), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)

    command_modules = {entry.target.split(":")[0] for entry in COMMANDS} | {m for e in COMMANDS for m in e.extends}
    assert not set(json.loads(done.stderr.splitlines()[-1])) & command_modules
