"""Signals as a clean stop (workloads/evolution/shutdown.py): the first SIGTERM/SIGINT raises ``Stopped`` with the
shell's exit status, later ones are ignored during cleanup, an error a library made of the interrupt is still a stop,
and the previous handlers come back."""

from __future__ import annotations

import os
import signal

import pytest

from workloads.evolution.shutdown import Stopped, stop_on_signals


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_raises_stopped_with_the_shells_exit_status(signum, code):
    with pytest.raises(Stopped) as stopped, stop_on_signals():
        os.kill(os.getpid(), signum)
    assert (stopped.value.signum, stopped.value.exit_code) == (signum, code)


def test_a_second_signal_during_cleanup_is_ignored():
    cleaned = []
    with pytest.raises(Stopped), stop_on_signals():
        try:
            os.kill(os.getpid(), signal.SIGTERM)
        finally:
            os.kill(os.getpid(), signal.SIGINT)
            cleaned.append(True)
    assert cleaned == [True]


def test_an_error_a_library_made_of_the_interrupt_is_still_a_stop():
    with pytest.raises(Stopped) as stopped, stop_on_signals():
        try:
            os.kill(os.getpid(), signal.SIGTERM)
        except Stopped:
            raise RuntimeError("Query interrupted") from None
    assert stopped.value.signum == signal.SIGTERM
    assert str(stopped.value.__cause__) == "Query interrupted"


def test_an_error_without_a_signal_passes_unchanged():
    with pytest.raises(ValueError, match="bad input"), stop_on_signals():
        raise ValueError("bad input")


def test_the_previous_handlers_come_back():
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    with stop_on_signals():
        pass
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


def test_the_stop_line_names_the_database_checkpoint_read_through_a_new_connection(tmp_path, capsys):
    from workloads.cli.evolve import _report_stop, _RunTracker
    from workloads.storage import open_storage

    url = f"duckdb://{tmp_path}/state.duckdb"
    with open_storage(url) as storage:
        storage.create_run("r", {}, "fp")
        storage.save_checkpoint("r", 2, b"state")
    _report_stop(Stopped(signal.SIGTERM), _RunTracker(run_id="r", generation=1, settings=url))
    line = " ".join(capsys.readouterr().err.split())
    assert (
        "stopped by SIGTERM: run r, checkpoint of generation 2 kept; resume with `genepool evolve --resume r`" in line
    )


def test_the_stop_line_falls_back_to_the_last_generation_reported_when_storage_is_unreachable(tmp_path, capsys):
    from workloads.cli.evolve import _report_stop, _RunTracker

    unreachable = f"duckdb://{tmp_path}/missing-dir/state.duckdb"
    _report_stop(Stopped(signal.SIGINT), _RunTracker(run_id="r", generation=4, settings=unreachable))
    assert "stopped by SIGINT: run r, checkpoint of generation 4 kept" in " ".join(capsys.readouterr().err.split())
