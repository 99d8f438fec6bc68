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
