"""tools/system_deps.sh, the system packages `make run`, `make test` and `make bench`
check first: run with a PATH of stand-ins, so that a tool is "missing" by leaving it out
and apt-get, sudo, id and dpkg-query only record what they were asked (nothing is
installed), and the Makefile's targets call it with the right target."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "tools" / "system_deps.sh"
BASH = shutil.which("bash")
EVERYTHING = ["chromium", "msgfmt", "pdftoppm", "wrk"]
PACKAGES = ["libpango-1.0-0", "libpangoft2-1.0-0", "fonts-dejavu-core"]


def stand_in(directory: Path, name: str, body: str = "exit 0") -> None:
    path = directory / name
    path.write_text(f"#!{BASH}\n{body}\n")
    path.chmod(0o755)


def run(tmp_path: Path, *targets: str, commands=EVERYTHING, packages=PACKAGES, uid=1000,
        sudo: bool | None = None, apt: bool = True, install: bool = True, venv: bool = True):
    """The script with only ``commands`` on PATH and ``packages`` known to dpkg; ``sudo``:
    None (absent), True (passwordless), False (asks for a password). Returns the result
    and the apt-get calls."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "apt.log"
    for name in commands:
        stand_in(bin_dir, name)
    stand_in(bin_dir, "id", f'[ "$1" = -u ] && echo {uid}')
    stand_in(bin_dir, "dpkg-query", 'case " $KNOWN " in *" ${@: -1} "*) '
             'printf "install ok installed";; *) exit 1;; esac')
    stand_in(bin_dir, "env", 'while [[ "$1" == *=* ]]; do export "$1"; shift; done; "$@"')
    if apt:
        stand_in(bin_dir, "apt-get", f'echo "$DEBIAN_FRONTEND $*" >> {log}')
    if sudo is not None:
        stand_in(bin_dir, "sudo", 'shift; "$@"' if sudo else "exit 1")
    # The interpreter that would create the venv has no ensurepip (Debian's python3
    # without python3-venv); ``venv``: the venv exists already, so it is not needed.
    stand_in(bin_dir, "python3", "exit 1")
    env = {"PATH": str(bin_dir), "KNOWN": " ".join(packages), "PYTHON": "python3",
           "VENV": str(tmp_path / "venv")}
    if venv:
        (tmp_path / "venv" / "bin").mkdir(parents=True)
        stand_in(tmp_path / "venv" / "bin", "python")
    if not install:
        env["SYSTEM_INSTALL"] = "0"
    result = subprocess.run([BASH, str(SCRIPT), *targets], env=env, capture_output=True,  # noqa: S603
                            text=True, check=False)
    calls = log.read_text().splitlines() if log.exists() else []
    return result, calls


def test_nothing_missing_nothing_said(tmp_path):
    result, calls = run(tmp_path, "run", "test", "bench")
    assert (result.returncode, result.stderr, calls) == (0, "", [])


@pytest.mark.parametrize(("target", "needed"), [
    ("run", ["libpango-1.0-0", "libpangoft2-1.0-0", "fonts-dejavu-core"]),
    ("test", ["libpango-1.0-0", "libpangoft2-1.0-0", "fonts-dejavu-core", "chromium",
              "gettext", "poppler-utils"]),
    ("bench", ["libpango-1.0-0", "libpangoft2-1.0-0", "fonts-dejavu-core", "wrk"]),
])
def test_each_target_names_exactly_what_it_needs(tmp_path, target, needed):
    result, calls = run(tmp_path, target, commands=[], packages=[], install=False)
    assert result.returncode == 1
    first, *_ = result.stderr.splitlines()
    assert first == (f"make {target} needs system packages that are not installed: "
                     + " ".join(needed))
    assert "SYSTEM_INSTALL=0" in result.stderr
    assert calls == []


def test_a_user_without_sudo_is_told_the_command(tmp_path):
    result, calls = run(tmp_path, "test", commands=["chromium", "msgfmt"], sudo=False)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "make test needs system packages that are not installed: poppler-utils",
        "Not root, and sudo is missing or needs a password.",
        "Install them with:",
        "  sudo apt-get update && sudo apt-get install --no-install-recommends poppler-utils",
        "then run make test again.",
    ]
    assert calls == []


def test_root_installs_what_is_missing_with_apt_get(tmp_path):
    result, calls = run(tmp_path, "bench", commands=[], uid=0)
    # The stand-in apt-get installs nothing, so the second check still misses them.
    assert calls == [
        "noninteractive update -qq",
        "noninteractive install -y -qq --no-install-recommends wrk"]
    assert result.returncode == 1
    assert "apt-get ran, but these are still missing." in result.stderr
    assert "  apt-get update && apt-get install --no-install-recommends wrk" in result.stderr


def test_passwordless_sudo_installs(tmp_path):
    result, calls = run(tmp_path, "run", packages=["libpango-1.0-0", "libpangoft2-1.0-0"],
                        sudo=True)
    assert calls == ["noninteractive update -qq",
                     "noninteractive install -y -qq --no-install-recommends fonts-dejavu-core"]


def test_without_apt_get_the_packages_are_named(tmp_path):
    result, calls = run(tmp_path, "test", commands=EVERYTHING[:-2], apt=False, uid=0)
    assert result.returncode == 1
    assert "not installed: poppler-utils" in result.stderr
    assert "There is no apt-get here" in result.stderr


def test_without_a_venv_python3_venv_is_needed_first(tmp_path):
    result, _ = run(tmp_path, "venv", venv=False, install=False)
    assert result.stderr.splitlines()[0] == (
        "make venv needs system packages that are not installed: python3-venv")
    (tmp_path / "again").mkdir()
    result, _ = run(tmp_path / "again", "venv", install=False)
    assert (result.returncode, result.stderr) == (0, "")


def test_an_unknown_target_is_refused(tmp_path):
    result, _ = run(tmp_path, "deploy")
    assert result.returncode == 2
    assert "unknown target 'deploy'" in result.stderr


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize(("goal", "check"), [
    ("run", "system_deps.sh run"), ("test", "system_deps.sh test"),
    ("bench", "system_deps.sh bench"), ("smoke", "system_deps.sh run"),
    ("unit", "system_deps.sh test")])
def test_the_make_targets_check_their_packages_first(goal, check):
    # Not the flags of a make this suite may run under (-j would reorder the lines).
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    done = subprocess.run(["make", "-n", goal], cwd=REPO, capture_output=True, env=env,  # noqa: S603,S607
                          text=True, check=True)
    assert check in done.stdout.splitlines()[0]
