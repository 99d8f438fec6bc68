"""A place the app cannot write (read-only filesystem, a file where a directory should be) ends with one error line
naming the path and exit code 1 on the command line, and with 503 naming it in the API, never a traceback or a 500.

Tests run as root, which ignores permission bits, so an unwritable place is made by putting a regular file where a
directory has to be created."""

from __future__ import annotations

import sys

import pytest
from fastapi.testclient import TestClient

from workloads.cli import main
from workloads.service import create_app
from workloads.settings import Settings

TOKEN = "test-token-123"


@pytest.fixture
def blocked(tmp_path):
    """A path below a regular file: creating it fails with ENOTDIR, whoever the user is."""
    (tmp_path / "a-file").write_text("not a directory")
    return tmp_path / "a-file" / "state"


def run_main(monkeypatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["genepool", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    return exit_info.value.code


def test_an_unwritable_output_directory_is_one_error_line_and_exit_1(monkeypatch, capsys, blocked):
    code = run_main(monkeypatch, "data", "generate", "--bars", "100", "--out", str(blocked / "bars.parquet"))
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: ")
    assert str(blocked) in err and "Not a directory" in err
    assert "Traceback" not in err


def test_an_unwritable_state_home_names_the_directory_and_the_setting(monkeypatch, capsys, blocked, tmp_path):
    data = tmp_path / "bars.parquet"
    assert run_main(monkeypatch, "data", "generate", "--bars", "300", "--out", str(data)) == 0
    monkeypatch.setenv("GENEPOOL_HOME", str(blocked))
    monkeypatch.delenv("GENEPOOL_DATABASE_URL", raising=False)
    code = run_main(monkeypatch, "data", "import", str(data), "--symbol", "BTC")
    err = capsys.readouterr().err
    assert code == 1
    assert f"cannot create the state directory {blocked}" in err
    assert "GENEPOOL_HOME" in err
    assert "Traceback" not in err


def test_the_api_answers_503_and_logs_the_unwritable_state_directory(blocked, caplog):
    settings = Settings(database_url=f"duckdb://{blocked}/api.duckdb", api_token=TOKEN, home=blocked)
    with TestClient(create_app(settings)) as client:
        response = client.get("/v1/strategies", headers={"Authorization": f"Bearer {TOKEN}"})
        readiness = client.get("/health/readiness")
    assert response.status_code == 503
    assert str(blocked) not in response.text
    assert f"cannot create the state directory {blocked}" in caplog.text
    assert readiness.status_code == 503


def test_a_bug_is_not_disguised_as_an_environment_failure(monkeypatch):
    def broken() -> None:
        raise KeyError("a bug")

    monkeypatch.setattr("workloads.cli.app", broken)
    with pytest.raises(KeyError):
        main()
