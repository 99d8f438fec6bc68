"""Configuration: the defaults of docs/evolution.md#configuration, file and command-line overrides, and errors that name
key and rule."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from workloads.cli import app
from workloads.evolution.config import ConfigError, EvolutionConfig, load_config_file


def test_defaults_are_the_seed_doc_values():
    c = EvolutionConfig()
    assert (c.population, c.generations, c.mutation, c.crossover, c.elite) == (50, 10, 0.1, 0.8, 0.2)
    assert c.holdout == 0.3


def test_yaml_file_overrides_defaults(tmp_path):
    path = tmp_path / "evolve.yaml"
    path.write_text("population: 80\nmutation: 0.25\nlong_only: true\n")
    c = load_config_file(path)
    assert (c.population, c.mutation, c.long_only, c.generations) == (80, 0.25, True, 10)


def test_json_file_overrides_defaults(tmp_path):
    path = tmp_path / "evolve.json"
    path.write_text(json.dumps({"generations": 3, "elite": 0.1}))
    assert (load_config_file(path).generations, load_config_file(path).elite) == (3, 0.1)


@pytest.mark.parametrize(
    ("key", "value", "rule"),
    [
        ("population", 2, "integer >= 4"),
        ("mutation", 1.5, "[0, 1]"),
        ("elite", 1.0, "[0, 1)"),
        ("generations", 2.5, "integer >= 1"),
        ("long_only", "yes", "true or false"),
        ("holdout", 0.95, "[0, 0.9)"),
        ("survival", "comma", "elitist, plus or nsga2"),
        ("truncation", 0.0, "(0, 1]"),
        ("budget_rule", "thompson", "improvement, rank or ucb"),
        ("objective", "sharpe", "fitness, worst-segment or mean-segment"),
        ("objective", 3, "fitness, worst-segment or mean-segment"),
    ],
)
def test_invalid_value_names_the_key_and_the_rule(tmp_path, key, value, rule):
    path = tmp_path / "bad.yaml"
    path.write_text(json.dumps({key: value}))
    with pytest.raises(ConfigError) as error:
        load_config_file(path)
    assert error.value.key == key
    assert key in str(error.value) and rule in str(error.value) and str(path) in str(error.value)


def test_unknown_key_is_refused_naming_it(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("populaton: 10\n")
    with pytest.raises(ConfigError, match="'populaton'.*unknown key"):
        load_config_file(path)


def test_cli_exits_2_on_a_bad_config_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("crossover: 2\n")
    result = CliRunner().invoke(
        app, ["evolve", "--synthetic", "500", "--config", str(path), "--runs-dir", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "crossover" in result.output and "[0, 1]" in result.output


def test_cli_exits_2_on_a_bad_option(tmp_path):
    result = CliRunner().invoke(app, ["evolve", "--synthetic", "500", "--population", "1", "--runs-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "population" in result.output


def test_cli_set_reaches_any_key_and_names_it_when_invalid(tmp_path):
    result = CliRunner().invoke(
        app, ["evolve", "--synthetic", "500", "--set", "tournament=0", "--runs-dir", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "tournament" in result.output and "integer >= 1" in result.output
