"""The multiprocess metrics directory of ``serve --workers N`` (workloads/service/worker_metrics.py): private,
named in the environment for the workers only while it exists, removed with their files; the whole-server test
with two real workers is tests/integration/test_serve_process.py."""

from __future__ import annotations

import os
import stat

from workloads.service.worker_metrics import MULTIPROC_DIR_ENV, multiprocess_directory, multiprocess_mode


def test_the_directory_is_private_and_named_for_the_workers_while_they_run(monkeypatch):
    monkeypatch.delenv(MULTIPROC_DIR_ENV, raising=False)
    with multiprocess_directory() as directory:
        assert os.environ[MULTIPROC_DIR_ENV] == str(directory)
        assert multiprocess_mode()
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700


def test_the_directory_goes_with_the_workers_files_and_the_environment_is_restored(monkeypatch):
    monkeypatch.delenv(MULTIPROC_DIR_ENV, raising=False)
    with multiprocess_directory() as directory:
        (directory / "counter_123.db").write_bytes(b"\0" * 16)
    assert not directory.exists()
    assert MULTIPROC_DIR_ENV not in os.environ and not multiprocess_mode()
