"""Session hooks for the whole suite: a run isolated from the developer's own services, ending with its skip count
(the rules are in :mod:`tests.session`)."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from tests.session import foreign_settings, skip_summary

SCRUBBED = pytest.StashKey[pytest.MonkeyPatch]()
SESSION_HOME = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    scrub = pytest.MonkeyPatch()
    for name in foreign_settings(os.environ):
        scrub.delenv(name)
    # The state home of every test that does not set its own: a temporary directory of this session, never the
    # developer's per-user home (docs/cli.md#where-state-lives).
    home = tempfile.mkdtemp(prefix="genepool-test-home-")
    scrub.setenv("GENEPOOL_HOME", home)
    # Every Ray the tests start runs without Ray's token authentication, as their heads do (servers.ray_head): a
    # process's first local `ray.init()` otherwise turns it on, and the mode stays cached for the process after
    # `ray.shutdown()`, so joining a test's head later (tests/evolution/test_ray_address.py) started actors that
    # never ran ("cancelled before it started") when another test's local Ray had come first.
    scrub.setenv("RAY_AUTH_MODE", "disabled")
    config.stash[SCRUBBED] = scrub
    config.stash[SESSION_HOME] = home


def pytest_unconfigure(config: pytest.Config) -> None:
    scrub = config.stash.get(SCRUBBED, None)
    if scrub is not None:
        scrub.undo()
    home = config.stash.get(SESSION_HOME, None)
    if home is not None:
        shutil.rmtree(home, ignore_errors=True)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminalreporter.ensure_newline()
    terminalreporter.section("skips")
    for line in skip_summary(terminalreporter.stats.get("skipped", [])):
        terminalreporter.write_line(line)
