"""Stopping a run on SIGTERM (the end of a pod: a spot node reclaimed, a deploy, ``kubectl delete``) or SIGINT
(Ctrl-C) without losing its work or leaking its resources.

Within :func:`stop_on_signals`, the first of those signals raises :class:`Stopped` in the main thread, where the run
is. Python runs a signal handler between bytecodes, so a Numba kernel in progress finishes its call first (a
fraction of a second to a few seconds, the length of one seed's evaluation), and a wait on the ML process pool is
interrupted at once. :class:`Stopped` is a ``BaseException``, as ``KeyboardInterrupt`` is, so no ``except
Exception`` on the way swallows it; the ``finally`` blocks run as it unwinds: the evaluation workers are stopped and
the shared memory released (:meth:`workloads.evolution.process_pool.ProcessPool.close`), the storage closed. A
second signal while that cleanup runs is ignored, so a repeated Ctrl-C or a kubelet's retry cannot cut it short;
SIGKILL at the end of the grace period still can, and then the checkpoints (written atomically after every
generation) are what is left.

The exit status of a stopped command is the shell's convention for death by a signal, ``128 + signum``: 143 for
SIGTERM, 130 for SIGINT.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Stopped(BaseException):
    """The run was asked to stop by signal ``signum``."""

    def __init__(self, signum: int) -> None:
        self.signum = int(signum)
        super().__init__(f"stopped by {signal.Signals(self.signum).name}")

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        """``128 + signum`` (143 for SIGTERM, 130 for SIGINT)."""
        return 128 + self.signum


@contextmanager
def stop_on_signals(signals: tuple[signal.Signals, ...] = STOP_SIGNALS) -> Iterator[None]:
    """Raise :class:`Stopped` on the first of ``signals`` received inside the block, ignore the ones after it, and
    restore the previous handlers on leaving. Main thread only (as every Python signal handler).

    A library that checks for signals inside its own calls runs the handler there and may replace the
    :class:`Stopped` it raises by an error of its own (DuckDB's ``Query interrupted``); any exception leaving the
    block after a signal is therefore re-raised as :class:`Stopped` (the original as its ``__cause__``)."""
    received: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        if received:
            return
        received.append(signum)
        raise Stopped(signum)

    previous = {signum: signal.signal(signum, handler) for signum in signals}
    try:
        yield
    except Stopped:
        raise
    except BaseException as exc:
        if received:
            raise Stopped(received[0]) from exc
        raise
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
