"""The settings contract: defaults, ``GENEPOOL_*`` environment, stack-outputs files, and secrets never shown."""

from __future__ import annotations

import json
import re

import pytest

from workloads.settings import (
    API_POOL_SIZE_MAX,
    ApiSettings,
    Settings,
    SettingsError,
    contract,
    load_settings,
    redact_url,
)

PG = "postgresql://genepool:hunter2@db.internal:5432/genepool"


def test_defaults_are_a_duckdb_file_under_genepool_home_with_no_redis_or_ray(tmp_path):
    settings = load_settings(env={"GENEPOOL_HOME": str(tmp_path)})
    assert settings.database_url == f"duckdb://{tmp_path}/genepool.duckdb"
    assert settings.redis_url is None and settings.ray_address is None and settings.api_token is None


def test_without_genepool_home_the_state_lives_in_the_xdg_data_home(tmp_path):
    settings = load_settings(env={"XDG_DATA_HOME": str(tmp_path / "data")})
    assert settings.database_url == f"duckdb://{tmp_path}/data/genepool/genepool.duckdb"


def test_without_any_setting_the_state_lives_under_the_users_local_share(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert load_settings(env={}).home == tmp_path / ".local" / "share" / "genepool"


def test_a_relative_xdg_data_home_is_ignored_as_the_xdg_rule_says(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert load_settings(env={"XDG_DATA_HOME": "relative/data"}).home == tmp_path / ".local" / "share" / "genepool"


def test_the_state_home_does_not_depend_on_the_working_directory(tmp_path, monkeypatch):
    env = {"XDG_DATA_HOME": str(tmp_path / "data")}
    first = load_settings(env=env).database_url
    monkeypatch.chdir(tmp_path)
    assert load_settings(env=env).database_url == first


def test_resolving_the_state_home_creates_nothing(tmp_path):
    load_settings(env={"GENEPOOL_HOME": str(tmp_path / "home")})
    assert not (tmp_path / "home").exists()


def test_every_contract_output_is_read_from_its_environment_variable():
    env = {
        contract.env_name(name): f"redis://h/{i}" if name == "redis_url" else f"value-{name}"
        for i, name in enumerate(contract.STACK_OUTPUTS)
    }
    env[contract.env_name("database_url")] = PG
    settings = load_settings(env=env)
    assert settings.database_url == PG
    assert settings.redis_url == env["GENEPOOL_REDIS_URL"]
    assert settings.ray_address == "value-ray_address"
    assert settings.api_url == "value-api_url" and settings.grafana_url == "value-grafana_url"


def test_empty_environment_values_mean_absent(tmp_path):
    settings = load_settings(
        env={"GENEPOOL_REDIS_URL": "", "GENEPOOL_DATABASE_URL": " ", "GENEPOOL_HOME": str(tmp_path)}
    )
    assert settings.redis_url is None and settings.database_url.startswith("duckdb://")


def test_stack_outputs_file_wins_over_the_environment_and_ignores_other_outputs(tmp_path):
    path = tmp_path / "outputs.json"
    path.write_text(
        json.dumps(
            {
                "database_url": PG,
                "redis_url": "redis://:pw@cache:6379/0",
                "kubeconfig": "x",
                "estimated_hourly_cost_usd": 1.5,
            }
        )
    )
    settings = load_settings(
        path, env={"GENEPOOL_DATABASE_URL": "duckdb:///elsewhere.duckdb", "GENEPOOL_RAY_ADDRESS": "ray://head:10001"}
    )
    assert settings.database_url == PG and settings.redis_url == "redis://:pw@cache:6379/0"
    assert settings.ray_address == "ray://head:10001"


def test_a_stack_outputs_file_prefers_the_external_urls_to_the_in_cluster_ones(tmp_path):
    path = tmp_path / "outputs.json"
    path.write_text(
        json.dumps(
            {
                "api_url": "http://genepool-api.genepool.svc.cluster.local:8000",
                "api_external_url": "https://api.genepool.example.com",
                "grafana_url": "http://kube-prometheus-stack-grafana.monitoring.svc.cluster.local",
                "grafana_external_url": "https://grafana.genepool.example.com",
            }
        )
    )
    settings = load_settings(path, env={})
    assert settings.api_url == "https://api.genepool.example.com"
    assert settings.grafana_url == "https://grafana.genepool.example.com"


def test_a_stack_outputs_file_without_external_urls_keeps_the_in_cluster_ones(tmp_path):
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({"api_url": "http://genepool-api.genepool.svc.cluster.local:8000"}))
    assert load_settings(path, env={}).api_url == "http://genepool-api.genepool.svc.cluster.local:8000"


def test_the_external_urls_never_reach_pods_as_settings():
    assert not set(contract.EXTERNAL_URLS.values()) & set(contract.STACK_OUTPUTS)


def test_unrevealed_secret_in_stack_outputs_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({"database_url": "[secret]"}))
    with pytest.raises(SettingsError, match=r"outputs.json: database_url .*--show-secrets"):
        load_settings(path, env={})


@pytest.mark.parametrize(
    "content, rule",
    [("{not json", "not JSON"), ("[1, 2]", "JSON object"), ('{"redis_url": 5}', "redis_url: expected a string")],
)
def test_bad_stack_outputs_file_names_the_file_and_rule(tmp_path, content, rule):
    path = tmp_path / "outputs.json"
    path.write_text(content)
    with pytest.raises(SettingsError, match=rule) as info:
        load_settings(path, env={})
    assert str(path) in str(info.value)


def test_missing_stack_outputs_file_is_named(tmp_path):
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "nope.json", env={})


def test_unknown_database_scheme_is_refused_without_showing_the_password():
    with pytest.raises(SettingsError) as info:
        load_settings(env={"GENEPOOL_DATABASE_URL": "mysql://u:hunter2@h/db"})
    assert "hunter2" not in str(info.value) and "duckdb:///path" in str(info.value)


def test_repr_and_redacted_never_show_passwords_or_the_api_token():
    settings = Settings(database_url=PG, redis_url="redis://:redispw@cache:6379/0", api_token="tok-123")
    text = repr(settings) + str(settings) + json.dumps(settings.redacted())
    for secret in ("hunter2", "redispw", "tok-123"):
        assert secret not in text
    assert "postgresql://genepool:***@db.internal:5432/genepool" in text


def test_redact_url_keeps_urls_without_password():
    assert redact_url("redis://cache:6379/0") == "redis://cache:6379/0"
    assert redact_url(None) is None


def test_the_api_pool_settings_have_documented_defaults():
    assert load_settings(env={}).api == ApiSettings(pool_size=6, pool_wait_seconds=1.5)


def test_the_api_pool_settings_are_read_from_the_environment():
    api = load_settings(env={"GENEPOOL_API_POOL_SIZE": "3", "GENEPOOL_API_POOL_WAIT_SECONDS": "0.25"}).api
    assert (api.pool_size, api.pool_wait_seconds) == (3, 0.25)


@pytest.mark.parametrize(
    "variable, value, rule",
    [
        ("GENEPOOL_API_POOL_SIZE", "many", "GENEPOOL_API_POOL_SIZE='many': expected a whole number"),
        ("GENEPOOL_API_POOL_SIZE", "0", "GENEPOOL_API_POOL_SIZE 0: must be 1 to 8"),
        ("GENEPOOL_API_POOL_SIZE", "9", "GENEPOOL_API_POOL_SIZE 9: must be 1 to 8"),
        ("GENEPOOL_API_POOL_WAIT_SECONDS", "soon", "GENEPOOL_API_POOL_WAIT_SECONDS='soon': expected a number"),
        ("GENEPOOL_API_POOL_WAIT_SECONDS", "0", "GENEPOOL_API_POOL_WAIT_SECONDS 0: must be above 0"),
        (
            "GENEPOOL_API_POOL_WAIT_SECONDS",
            "1.6",
            "GENEPOOL_API_POOL_WAIT_SECONDS 1.6: must be above 0 and at most 1.5 s",
        ),
        ("GENEPOOL_API_POOL_WAIT_SECONDS", "nan", "GENEPOOL_API_POOL_WAIT_SECONDS nan: must be above 0"),
    ],
)
def test_bad_api_pool_settings_are_refused_naming_the_variable_and_the_rule(variable, value, rule):
    with pytest.raises(SettingsError, match=re.escape(rule)):
        load_settings(env={variable: value})


def test_the_api_pools_fit_the_connections_one_process_is_budgeted():
    from workloads.storage.postgres import POOL_MAX_CONNECTIONS

    assert API_POOL_SIZE_MAX == POOL_MAX_CONNECTIONS - 2
