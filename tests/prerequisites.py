"""What a test needs from the machine, and the one rule for when it is missing.

A missing prerequisite (a program such as ``redis-server`` or ``amtool``, a Python package such as ``ray``) skips the
test on a developer's machine and fails it when the ``CI`` environment variable is set (``1``, ``true`` or ``yes``,
any case), so CI never passes by skipping. ``make test`` installs every prerequisite first (``make system-deps``, from
``system-deps/test.txt``; the virtualenv with the ``test,infra,ray`` extras), so there nothing skips at all.
"""

from __future__ import annotations

import glob
import importlib
import os
import shutil
from types import ModuleType
from typing import NoReturn

import pytest

CI_VALUES = ("1", "true", "yes")
INSTALL_HINT = "`make system-deps` installs it (system-deps/test.txt)"


def in_ci() -> bool:
    """Whether this run is CI's, where nothing may be skipped for a missing prerequisite."""
    return os.environ.get("CI", "").lower() in CI_VALUES


def unavailable(reason: str, module_level: bool = False) -> NoReturn:
    """Skip for ``reason``, or fail under CI (``module_level`` skips a whole test module at import)."""
    if in_ci():
        pytest.fail(f"{reason}; CI=true forbids skipping")
    pytest.skip(reason, allow_module_level=module_level)


def require_binary(name: str, extra_dirs: tuple[str, ...] = (), hint: str = INSTALL_HINT) -> str:
    """Absolute path of program ``name``, on ``PATH`` or in ``extra_dirs`` (glob patterns, the highest match first,
    e.g. Debian's ``/usr/lib/postgresql/*/bin``); :func:`unavailable` when missing."""
    found = shutil.which(name)
    if found is None:
        for pattern in extra_dirs:
            matches = sorted(glob.glob(os.path.join(pattern, name)), reverse=True)
            if matches:
                found = matches[0]
                break
    if found is None:
        unavailable(f"{name} not found: {hint}")
    return found


def require_module(name: str, extra: str) -> ModuleType:
    """Python module ``name`` (of the project's ``extra``) for a test module; :func:`unavailable` when missing."""
    try:
        return importlib.import_module(name)
    except ImportError:
        unavailable(f"{name} is not installed (pip install -e '.[{extra}]'; `make test` does)", module_level=True)
