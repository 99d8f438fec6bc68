"""The prerequisites' rule: a missing server binary skips locally but fails under CI."""

from __future__ import annotations

import pytest

from tests.prerequisites import require_binary


def test_missing_binary_fails_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true forbids skipping"):
        require_binary("genepool-no-such-server")


def test_missing_binary_skips_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="genepool-no-such-server not found"):
        require_binary("genepool-no-such-server")


def test_postgres_binaries_are_found_outside_path_under_debians_layout(monkeypatch, tmp_path):
    binary = tmp_path / "17" / "bin" / "initdb"
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    monkeypatch.setenv("PATH", "/nonexistent")
    assert require_binary("initdb", (str(tmp_path / "*" / "bin"),)) == str(binary)


@pytest.mark.parametrize("value", ["1", "true", "True", "yes"])
def test_every_common_spelling_of_ci_forbids_skipping(monkeypatch, value):
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="CI=true forbids skipping"):
        require_binary("genepool-no-such-server")
