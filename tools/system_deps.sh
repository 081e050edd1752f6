#!/usr/bin/env bash
# The system packages (Debian/Ubuntu names) a make target needs beyond the Python ones in
# requirements/lock.txt. `make run`, `make test` and `make bench` call it first:
#
#   tools/system_deps.sh venv|run|test|bench ...
#
# It checks what is missing and installs it with apt-get when it may: as root, or through
# sudo without a password. Otherwise (or with SYSTEM_INSTALL=0, or without apt-get) it exits
# 1 naming exactly the missing packages and the command that installs them.
#
#   venv   python3-venv (ensurepip), to create the virtualenv; skipped when it exists
#   run    venv + WeasyPrint's libraries (pango) and the letters' font (DejaVu, Cyrillic)
#   test   run + Chromium (browser tests), gettext (msgfmt), poppler-utils (pdftoppm)
#   bench  run + wrk (bench/intake.py's load generator)
#
# PYTHON and VENV are the Makefile's (the interpreter that creates the venv, and where).
set -euo pipefail

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}

# What each target needs: "package:how", how = cmd=NAME (NAME on PATH), dpkg (dpkg says the
# package is installed), venv (the interpreter can create a venv).
needs() {
  case "$1" in
    venv) echo "python3-venv:venv" ;;
    run) needs venv
         echo "libpango-1.0-0:dpkg libpangoft2-1.0-0:dpkg fonts-dejavu-core:dpkg" ;;
    test) needs run
          echo "chromium:cmd=chromium gettext:cmd=msgfmt poppler-utils:cmd=pdftoppm" ;;
    bench) needs run
           echo "wrk:cmd=wrk" ;;
    *) echo "tools/system_deps.sh: unknown target '$1' (venv, run, test, bench)" >&2
       exit 2 ;;
  esac
}

present() {  # package how
  case "$2" in
    cmd=*) command -v "${2#cmd=}" >/dev/null 2>&1 ;;
    dpkg)
      if ! command -v dpkg-query >/dev/null 2>&1; then
        unchecked+=("$1")
        return 0
      fi
      [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == *" ok installed" ]] ;;
    venv) [ -x "$VENV/bin/python" ] || "$PYTHON" -c "import ensurepip" >/dev/null 2>&1 ;;
  esac
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(test)
wanted=()
for target in "${targets[@]}"; do
  items=$(needs "$target") || exit 2
  for item in $items; do
    [[ " ${wanted[*]} " == *" $item "* ]] || wanted+=("$item")
  done
done

check() {
  missing=()
  unchecked=()
  for item in "${wanted[@]}"; do
    present "${item%%:*}" "${item#*:}" || missing+=("${item%%:*}")
  done
}

check
if [ ${#unchecked[@]} -gt 0 ]; then
  echo "make ${targets[*]}: no dpkg here, so these are not checked (install their" \
       "equivalents if letters fail to render): ${unchecked[*]}" >&2
fi
[ ${#missing[@]} -gt 0 ] || exit 0

why=""
if [ "${SYSTEM_INSTALL:-1}" = 0 ]; then
  why="SYSTEM_INSTALL=0: not installing."
elif ! command -v apt-get >/dev/null 2>&1; then
  why="There is no apt-get here: install these (or your system's equivalents) with its package manager."
else
  as=()
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
      as=(sudo -n)
    else
      why="Not root, and sudo is missing or needs a password."
    fi
  fi
  if [ -z "$why" ]; then
    echo "make ${targets[*]}: installing ${missing[*]} with apt-get" >&2
    "${as[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${as[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends "${missing[@]}"
    check
    [ ${#missing[@]} -gt 0 ] || exit 0
    why="apt-get ran, but these are still missing."
  fi
fi

sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo "
printf '%s\n' >&2 \
  "make ${targets[*]} needs system packages that are not installed: ${missing[*]}" \
  "$why" \
  "Install them with:" \
  "  ${sudo}apt-get update && ${sudo}apt-get install --no-install-recommends ${missing[*]}" \
  "then run make ${targets[*]} again."
exit 1
