"""Install the Debian packages a make target needs, only those whose programs are missing.

Usage: ``python3 system-deps/install.py [--dry-run] LIST...`` (``make system-deps`` for the test suite,
``make system-deps-image-check`` for ``make image-check``).

Each LIST is a text file with one package per line: the Debian package name, then one or more probes that show it
is present, separated by spaces; ``#`` starts a comment. A probe is

- a command name, found on ``PATH``;
- an absolute path, which may hold ``*``/``?`` wildcards (``/usr/lib/postgresql/*/bin/initdb``), found on disk;
- ``python:MODULE``, a module the Python running this script can import (that Python makes the virtualenv).

A package counts as present when any of its probes is found, so a machine prepared any other way (another
distribution, a source build) is left alone and a prepared machine costs no apt call at all. When something is
missing, on a machine with ``apt-get``, as root or through ``sudo`` (``sudo -n`` when there is no terminal to
ask for a password), it runs ``apt-get update`` once, then ``apt-get install -y --no-install-recommends`` with the
missing packages only, non-interactively, and checks the probes again. Otherwise it stops with the one command to
run.

Exit codes: 0 everything present (or installed), 1 something is missing and could not be installed, 2 a bad list.
"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

PACKAGE_NAME = re.compile(r"[a-z0-9][a-z0-9+.-]+")
"""Debian policy 5.6.1: lower case letters, digits, ``+``, ``-`` and ``.``; at least two characters, starting with
an alphanumeric."""
PYTHON_PREFIX = "python:"
APT_INSTALL = ("install", "-y", "--no-install-recommends")


class ListError(ValueError):
    """A bad line in a package list; the message names the file, the line and the rule."""


class Stop(RuntimeError):
    """Something is missing and this script cannot install it; the message says what to run instead."""


@dataclass(frozen=True)
class Requirement:
    """One line of a list: ``package`` is present when any of ``probes`` is found."""

    package: str
    probes: tuple[str, ...]
    source: str
    """``file:line``, for messages."""


def parse_list(path: Path) -> list[Requirement]:
    """The requirements of one list file, in file order; :class:`ListError` on a bad line."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise ListError(f"{path}: cannot read the package list ({exc.strerror})") from exc
    requirements = []
    for number, raw in enumerate(text.splitlines(), start=1):
        fields = raw.split("#", 1)[0].split()
        if not fields:
            continue
        source = f"{path}:{number}"
        package, probes = fields[0], tuple(fields[1:])
        if not PACKAGE_NAME.fullmatch(package):
            raise ListError(
                f"{source}: {package!r} is not a Debian package name (lower case letters, digits, '+', '-', '.')"
            )
        if not probes:
            raise ListError(
                f"{source}: package {package} needs at least one probe (a command, /absolute/path or python:module) "
                "that shows it is installed"
            )
        for probe in probes:
            if probe.startswith(PYTHON_PREFIX) and not probe[len(PYTHON_PREFIX) :]:
                raise ListError(f"{source}: probe {probe!r} names no module")
            if "/" in probe and not probe.startswith("/"):
                raise ListError(
                    f"{source}: probe {probe!r} is a relative path; give a command name or an absolute path"
                )
        requirements.append(Requirement(package, probes, source))
    return requirements


def probe_found(probe: str) -> bool:
    """Whether one probe is found (see the module doc for the three kinds)."""
    if probe.startswith(PYTHON_PREFIX):
        return importlib.util.find_spec(probe[len(PYTHON_PREFIX) :]) is not None
    if probe.startswith("/"):
        return any(os.path.exists(match) for match in glob.glob(probe))
    return shutil.which(probe) is not None


def missing(requirements: Sequence[Requirement], found: Callable[[str], bool] = probe_found) -> list[Requirement]:
    """The requirements none of whose probes is found, without repeating a package."""
    seen: set[str] = set()
    result = []
    for requirement in requirements:
        if requirement.package not in seen and not any(found(probe) for probe in requirement.probes):
            seen.add(requirement.package)
            result.append(requirement)
    return result


def privilege(euid: int, sudo: str | None, interactive: bool) -> list[str] | None:
    """The prefix that runs apt-get as root: none for root, ``sudo`` (``sudo -n`` without a terminal, so it fails
    instead of waiting for a password nobody can type) when available, else ``None`` (no way)."""
    if euid == 0:
        return []
    if sudo is None:
        return None
    return [sudo] if interactive else [sudo, "-n"]


def manual_command(packages: Sequence[str], as_root: bool) -> str:
    """The one shell command a person runs to install ``packages`` on Debian/Ubuntu."""
    sudo = "" if as_root else "sudo "
    install = " ".join(["apt-get", *APT_INSTALL, *(shlex.quote(p) for p in packages)])
    return f"{sudo}apt-get update && {sudo}{install}"


def apt_commands(prefix: Sequence[str], apt_get: str, packages: Sequence[str]) -> list[list[str]]:
    """``apt-get update`` then ``apt-get install`` of ``packages``, run through ``prefix``; ``DEBIAN_FRONTEND`` goes
    through ``env`` because sudo resets the environment."""
    run = [*prefix, "env", "DEBIAN_FRONTEND=noninteractive", apt_get] if prefix else [apt_get]
    return [[*run, "update", "-qq"], [*run, *APT_INSTALL, "-qq", *packages]]


def describe(requirements: Sequence[Requirement]) -> str:
    return ", ".join(f"{r.package} (for {' or '.join(r.probes)})" for r in requirements)


def ensure(lists: Sequence[Path], dry_run: bool = False) -> str:
    """Install what ``lists`` need and is missing; returns a one-line report, raises :class:`Stop` or
    :class:`ListError`."""
    requirements = [requirement for path in lists for requirement in parse_list(path)]
    names = ", ".join(str(path) for path in lists)
    absent = missing(requirements)
    if not absent:
        return f"system-deps: all {len(requirements)} packages of {names} present"
    packages = [r.package for r in absent]
    euid = os.geteuid()
    apt_get = shutil.which("apt-get")
    if apt_get is None:
        raise Stop(
            f"system-deps: missing {describe(absent)}, and this machine has no apt-get. Install them with its "
            f"package manager; on Debian/Ubuntu: {manual_command(packages, as_root=euid == 0)}"
        )
    prefix = privilege(euid, shutil.which("sudo"), sys.stdin.isatty())
    if prefix is None:
        raise Stop(
            f"system-deps: missing {describe(absent)}; installing needs root and there is no sudo. As root, run: "
            f"{manual_command(packages, as_root=True)}"
        )
    by_hand = manual_command(packages, as_root=not prefix)
    commands = apt_commands(prefix, apt_get, packages)
    if dry_run:
        return "system-deps: would run\n" + "\n".join(shlex.join(command) for command in commands)
    print(f"system-deps: installing {describe(absent)}", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in commands:
        if subprocess.run(command, env=env).returncode != 0:
            raise Stop(f"system-deps: `{shlex.join(command)}` failed; install by hand and run make again: {by_hand}")
    still = missing(absent)
    if still:
        raise Stop(
            f"system-deps: installed, yet still not found: {describe(still)}; check the probes in "
            f"{', '.join(r.source for r in still)}"
        )
    return f"system-deps: installed {' '.join(packages)}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Install the Debian packages in LIST files whose programs are missing."
    )
    parser.add_argument("lists", nargs="+", type=Path, metavar="LIST")
    parser.add_argument("--dry-run", action="store_true", help="print the apt-get commands instead of running them")
    args = parser.parse_args(argv)
    try:
        print(ensure(args.lists, dry_run=args.dry_run))
    except ListError as exc:
        print(f"system-deps: {exc}", file=sys.stderr)
        return 2
    except Stop as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
