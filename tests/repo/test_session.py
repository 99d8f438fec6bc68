"""The suite's session rules (``tests/session.py``, wired in ``tests/conftest.py``): the developer's settings that
would reach other services are gone for the run, and every run ends with its skip count grouped by reason."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.session import foreign_settings

REPOSITORY = Path(__file__).resolve().parents[2]


def test_the_apps_settings_ray_address_and_libpq_defaults_are_foreign_the_harness_and_the_rest_are_not():
    environ = {
        "GENEPOOL_DATABASE_URL": "postgresql://me:pw@127.0.0.1:5432/prod",
        "GENEPOOL_REDIS_URL": "redis://127.0.0.1:6379/0",
        "GENEPOOL_HOME": "/home/me/.genepool",
        "GENEPOOL_EXCHANGE_API_KEY": "k",
        "RAY_ADDRESS": "127.0.0.1:6379",
        "PGSSLMODE": "require",
        "PGSERVICE": "prod",
        "GENEPOOL_IMAGE": "localhost/genepool/workload:check",
        "CI": "true",
        "PATH": "/usr/bin",
        "RAY_TMPDIR": "/scratch",
    }
    assert foreign_settings(environ) == [
        "GENEPOOL_DATABASE_URL",
        "GENEPOOL_EXCHANGE_API_KEY",
        "GENEPOOL_HOME",
        "GENEPOOL_REDIS_URL",
        "PGSERVICE",
        "PGSSLMODE",
        "RAY_ADDRESS",
    ]


def run_suite(tmp_path: Path, source: str, **env: str) -> str:
    """``source`` as a test module run under this suite's conftest (as a plugin) with ``env`` added to the
    environment; its terminal output."""
    (tmp_path / "test_example.py").write_text(textwrap.dedent(source))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.conftest", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, **env, "PYTHONPATH": str(REPOSITORY), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    return result.stdout


def test_a_run_ends_with_its_skips_grouped_by_reason_most_frequent_first(tmp_path):
    out = run_suite(
        tmp_path,
        """
        import pytest

        def test_a():
            pytest.skip("amtool not found")

        def test_b():
            pytest.skip("amtool not found")

        @pytest.mark.skip(reason="another reason")
        def test_c():
            pass

        def test_d():
            pass
        """,
    )
    assert "skipped: 3\n  2 x amtool not found\n  1 x another reason\n" in out


def test_a_module_skipped_whole_is_named(tmp_path):
    out = run_suite(tmp_path, 'import pytest\npytest.skip("ray is not installed", allow_module_level=True)\n')
    assert "skipped: 1\n  1 x ray is not installed (the whole of test_example.py)\n" in out


def test_a_run_without_skips_says_zero(tmp_path):
    assert "skipped: 0\n" in run_suite(tmp_path, "def test_fine():\n    pass\n")


def test_the_developers_service_settings_reach_neither_the_tests_nor_their_subprocesses(tmp_path):
    out = run_suite(
        tmp_path,
        """
        import os
        import subprocess
        import sys

        NAMES = ("GENEPOOL_REDIS_URL", "RAY_ADDRESS", "PGSSLMODE")

        def test_in_process():
            assert [name for name in NAMES if name in os.environ] == []
            assert os.environ["GENEPOOL_IMAGE"] == "kept"

        def test_in_a_subprocess():
            code = "import os, sys; sys.exit(any(n in os.environ for n in sys.argv[1:]))"
            assert subprocess.run([sys.executable, "-c", code, *NAMES]).returncode == 0
        """,
        GENEPOOL_REDIS_URL="redis://127.0.0.1:6379/0",
        RAY_ADDRESS="127.0.0.1:6379",
        PGSSLMODE="require",
        GENEPOOL_IMAGE="kept",
    )
    assert "2 passed" in out, out
