"""``genepool api status`` reaches the API at the stack's external URL (from ``--stack-outputs``), never the
in-cluster one, and says whether it is healthy and accepts the token."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from tests.integration.api_server import serving
from workloads.cli import app
from workloads.service import create_app
from workloads.settings import Settings

TOKEN = "api-cli-test-token"
IN_CLUSTER = "http://genepool-api.genepool.svc.cluster.local:8000"


@pytest.fixture(scope="module")
def api_url(tmp_path_factory) -> str:
    home = tmp_path_factory.mktemp("api-home")
    settings = Settings(database_url=f"duckdb://{home}/genepool.duckdb", api_token=TOKEN, home=home)
    with serving(create_app(settings)) as url:
        yield url


def outputs(tmp_path, **values) -> str:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({"api_url": IN_CLUSTER, **values}))
    return str(path)


def run(*args: str, token: str | None = TOKEN):
    env = {"GENEPOOL_API_TOKEN": token} if token else {}
    return CliRunner().invoke(app, ["api", "status", *args], env=env)


def test_status_reaches_the_api_through_the_external_url_of_the_stack_outputs(api_url, tmp_path, monkeypatch):
    monkeypatch.delenv("GENEPOOL_API_URL", raising=False)
    result = run("--stack-outputs", outputs(tmp_path, api_external_url=api_url), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["url"] == api_url and report["ok"] is True and report["token_accepted"] is True


def test_status_fails_when_the_api_refuses_the_token(api_url, tmp_path):
    result = run("--stack-outputs", outputs(tmp_path, api_external_url=api_url), "--json", token="wrong-token")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["token_accepted"] is False


def test_status_refuses_the_in_cluster_url_and_says_why(tmp_path):
    result = run("--stack-outputs", outputs(tmp_path))
    assert result.exit_code == 2
    assert "in-cluster URL" in result.output and "api_external_url" in result.output


def test_status_fails_when_nothing_answers(tmp_path):
    from tests.integration.servers import free_port

    unreachable = f"http://127.0.0.1:{free_port()}"
    result = run("--stack-outputs", outputs(tmp_path, api_external_url=unreachable), "--json", "--timeout", "2")
    assert result.exit_code == 1
    assert "Connection refused" in json.loads(result.stdout)["error"]


WITHOUT_HTTPX = "import sys; sys.modules['httpx'] = None; from workloads.cli import main; main()"
"""The command line with ``httpx`` (a test dependency, not a core one) not importable."""


def without_httpx(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GENEPOOL_API_TOKEN": TOKEN}
    env.pop("GENEPOOL_API_URL", None)
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_HTTPX, *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_api_help_needs_no_httpx():
    result = without_httpx("api", "--help")
    assert result.returncode == 0, result.stderr
    assert "status" in result.stdout


def test_status_needs_no_httpx(api_url, tmp_path):
    result = without_httpx("api", "status", "--stack-outputs", outputs(tmp_path, api_external_url=api_url), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["token_accepted"] is True
