"""``system-deps/install.py`` (``make system-deps``): the package lists, which packages count as missing, and what it
runs — apt-get only for what is missing, ``update`` once first — or the command it stops with. End-to-end runs use a
fake ``apt-get`` on a private ``PATH`` that logs its arguments and "installs" by creating the probed program, and a
fake ``sudo`` that runs its command (so they take the same path as root or not)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
SCRIPT = REPOSITORY / "system-deps" / "install.py"
LISTS = sorted((REPOSITORY / "system-deps").glob("*.txt"))

spec = importlib.util.spec_from_file_location("system_deps_install", SCRIPT)
assert spec is not None and spec.loader is not None
install = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = install  # dataclasses resolve their module by name
spec.loader.exec_module(install)

FAKE_APT_GET = """#!/bin/sh
echo "$*" >> "$APT_LOG"
[ "$1" = update ] && exit 0
[ -n "$APT_BREAKS" ] && exit 100
[ -n "$APT_PROVIDES_NOTHING" ] && exit 0
for package in "$@"; do
  case "$package" in
    -*|install) ;;
    *) printf '#!/bin/sh\\n' > "$BIN/$package-cmd"; chmod +x "$BIN/$package-cmd" ;;
  esac
done
"""


def write_list(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "packages.txt"
    path.write_text(text)
    return path


def tool(directory: Path, name: str, body: str = "#!/bin/sh\n") -> None:
    path = directory / name
    path.write_text(body)
    path.chmod(0o755)


@pytest.fixture
def machine(tmp_path):
    """A private PATH holding a fake apt-get (its calls logged beside it), a fake sudo, and the env and chmod they
    use."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool(bin_dir, "apt-get", FAKE_APT_GET)
    tool(bin_dir, "sudo", '#!/bin/sh\n[ "$1" = -n ] && shift\nexec "$@"\n')
    for name in ("env", "chmod"):
        (bin_dir / name).symlink_to(shutil.which(name) or f"/usr/bin/{name}")
    return bin_dir


def run(lists: list[Path], bin_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {"PATH": str(bin_dir), "BIN": str(bin_dir), "APT_LOG": str(bin_dir.parent / "apt.log"), **env}
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args, *map(str, lists)],
        env=environ,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def apt_calls(bin_dir: Path) -> list[str]:
    log = bin_dir.parent / "apt.log"
    return log.read_text().splitlines() if log.exists() else []


@pytest.mark.parametrize("path", LISTS, ids=lambda p: p.name)
def test_the_repositorys_lists_parse(path):
    assert install.parse_list(path)


def test_the_test_list_names_every_program_the_suite_starts():
    probes = {probe for r in install.parse_list(REPOSITORY / "system-deps" / "test.txt") for probe in r.probes}
    assert {"redis-server", "promtool", "amtool", "/usr/lib/postgresql/*/bin/initdb", "python:ensurepip"} <= probes


def test_a_line_is_a_package_and_its_probes_with_comments_and_blank_lines_ignored(tmp_path):
    path = write_list(
        tmp_path, "# header\n\nredis-server  redis-server   # the cache\npostgresql initdb /usr/*/initdb\n"
    )
    assert install.parse_list(path) == [
        install.Requirement("redis-server", ("redis-server",), f"{path}:3"),
        install.Requirement("postgresql", ("initdb", "/usr/*/initdb"), f"{path}:4"),
    ]


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("Redis_Server redis-server", "is not a Debian package name"),
        ("redis-server", "needs at least one probe"),
        ("postgresql bin/initdb", "is a relative path"),
        ("python3-venv python:", "names no module"),
    ],
)
def test_a_bad_line_names_the_file_the_line_and_the_rule(tmp_path, line, rule):
    path = write_list(tmp_path, f"# fine\n{line}\n")
    with pytest.raises(install.ListError, match=rule) as error:
        install.parse_list(path)
    assert str(error.value).startswith(f"{path}:2: ")


def test_probes_find_commands_on_path_absolute_globs_and_python_modules(tmp_path, monkeypatch):
    tool(tmp_path, "amtool")
    (tmp_path / "lib" / "17" / "bin").mkdir(parents=True)
    tool(tmp_path / "lib" / "17" / "bin", "initdb")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert install.probe_found("amtool")
    assert not install.probe_found("promtool")
    assert install.probe_found(f"{tmp_path}/lib/*/bin/initdb")
    assert not install.probe_found(f"{tmp_path}/lib/*/bin/pg_ctl")
    assert install.probe_found("python:json")
    assert not install.probe_found("python:genepool_no_such_module")


def test_a_package_is_missing_only_when_none_of_its_probes_is_found_and_is_listed_once():
    requirements = [
        install.Requirement("postgresql", ("initdb", "/pg/initdb"), "a:1"),
        install.Requirement("redis-server", ("redis-server",), "a:2"),
        install.Requirement("redis-server", ("redis-cli",), "b:1"),
    ]
    found = {"/pg/initdb"}.__contains__
    assert [r.package for r in install.missing(requirements, found)] == ["redis-server"]


@pytest.mark.parametrize(
    ("euid", "sudo", "interactive", "prefix"),
    [
        (0, "/usr/bin/sudo", True, []),
        (1000, "/usr/bin/sudo", True, ["/usr/bin/sudo"]),
        (1000, "/usr/bin/sudo", False, ["/usr/bin/sudo", "-n"]),
        (1000, None, True, None),
    ],
)
def test_root_runs_apt_directly_others_through_sudo_never_waiting_for_a_password_without_a_terminal(
    euid, sudo, interactive, prefix
):
    assert install.privilege(euid, sudo, interactive) == prefix


def test_through_sudo_the_noninteractive_frontend_survives_sudos_environment_reset():
    update, add = install.apt_commands(["sudo", "-n"], "/usr/bin/apt-get", ["amtool-pkg"])
    assert update[:5] == ["sudo", "-n", "env", "DEBIAN_FRONTEND=noninteractive", "/usr/bin/apt-get"]
    assert update[5:] == ["update", "-qq"] and add[-1] == "amtool-pkg" and "-y" in add


def test_the_command_to_run_by_hand_updates_then_installs_only_the_missing():
    assert install.manual_command(["prometheus", "redis-server"], as_root=False) == (
        "sudo apt-get update && sudo apt-get install -y --no-install-recommends prometheus redis-server"
    )
    assert install.manual_command(["prometheus"], as_root=True).startswith("apt-get update && apt-get install")


def test_nothing_missing_means_no_apt_call(tmp_path, machine):
    tool(machine, "amtool")
    result = run([write_list(tmp_path, "prometheus-alertmanager amtool\n")], machine)
    assert result.returncode == 0, result.stderr
    assert "all 1 packages" in result.stdout
    assert apt_calls(machine) == []


def test_the_missing_packages_are_installed_after_one_update(tmp_path, machine):
    tool(machine, "amtool")
    packages = write_list(tmp_path, "prometheus-alertmanager amtool\nredis redis-cmd\nprometheus prometheus-cmd\n")
    result = run([packages], machine)
    assert result.returncode == 0, result.stderr
    assert apt_calls(machine) == ["update -qq", "install -y --no-install-recommends -qq redis prometheus"]
    assert "installed redis prometheus" in result.stdout
    assert run([packages], machine).returncode == 0 and len(apt_calls(machine)) == 2  # then nothing to do


def test_a_dry_run_prints_the_commands_and_runs_nothing(tmp_path, machine):
    result = run([write_list(tmp_path, "redis redis-cmd\n")], machine, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert f"{machine}/apt-get install -y --no-install-recommends -qq redis" in result.stdout
    assert apt_calls(machine) == []


def test_without_apt_get_it_stops_with_the_command_to_run(tmp_path, machine):
    (machine / "apt-get").unlink()
    result = run([write_list(tmp_path, "redis redis-cmd\n")], machine)
    assert result.returncode == 1
    assert "missing redis (for redis-cmd)" in result.stderr
    assert "no apt-get" in result.stderr
    assert "apt-get update && " in result.stderr
    assert "apt-get install -y --no-install-recommends redis" in result.stderr


def test_a_failed_install_stops_with_the_command_to_run(tmp_path, machine):
    result = run([write_list(tmp_path, "redis redis-cmd\n")], machine, APT_BREAKS="1")
    assert result.returncode == 1
    assert "failed; install by hand" in result.stderr
    assert "apt-get install -y --no-install-recommends redis" in result.stderr


def test_a_package_whose_probe_is_still_missing_after_the_install_is_an_error(tmp_path, machine):
    result = run([write_list(tmp_path, "redis redis-cmd\n")], machine, APT_PROVIDES_NOTHING="1")
    assert result.returncode == 1
    assert "still not found: redis (for redis-cmd)" in result.stderr
    assert "packages.txt:1" in result.stderr


def test_a_bad_list_exits_2_before_any_apt_call(tmp_path, machine):
    result = run([write_list(tmp_path, "redis\n")], machine)
    assert result.returncode == 2
    assert "packages.txt:1: package redis needs at least one probe" in result.stderr
    assert apt_calls(machine) == []
