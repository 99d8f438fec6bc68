"""Session hooks for the whole suite: a run isolated from the developer's own services, ending with its skip count
(the rules are in :mod:`tests.session`)."""

from __future__ import annotations

import os

import pytest

from tests.session import foreign_settings, skip_summary

SCRUBBED = pytest.StashKey[pytest.MonkeyPatch]()


def pytest_configure(config: pytest.Config) -> None:
    scrub = pytest.MonkeyPatch()
    for name in foreign_settings(os.environ):
        scrub.delenv(name)
    config.stash[SCRUBBED] = scrub


def pytest_unconfigure(config: pytest.Config) -> None:
    scrub = config.stash.get(SCRUBBED, None)
    if scrub is not None:
        scrub.undo()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminalreporter.ensure_newline()
    terminalreporter.section("skips")
    for line in skip_summary(terminalreporter.stats.get("skipped", [])):
        terminalreporter.write_line(line)
