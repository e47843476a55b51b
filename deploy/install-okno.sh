#!/bin/sh
# The two steps that put Okno on a machine. deploy/Dockerfile runs them to build the image
# and deploy/check.sh runs them (these same lines) before proving the install works, so the
# check vouches for the image's install although images cannot be built on every machine.
#
#   install-okno.sh wheel SOURCE_DIR WHEEL_DIR    build Okno's wheel from a source tree
#   install-okno.sh install WHEEL_DIR VENV_DIR    a new virtualenv with that wheel installed
#
# Needs python3 (3.11 or newer) with venv (Debian: python3-venv) and access to PyPI (or a
# mirror set through PIP_INDEX_URL) for the dependencies.
set -eu
PYTHON=${PYTHON:-python3}

case "${1:-}" in
wheel)
    [ $# -eq 3 ] || { echo "usage: $0 wheel SOURCE_DIR WHEEL_DIR" >&2; exit 2; }
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    # A clean copy: setuptools builds in the source tree, and a stale build/ left there
    # could slip deleted files into the wheel.
    mkdir "$work/src"
    tar -C "$2" -cf - --exclude=.git --exclude=.venv --exclude=build --exclude='*.egg-info' \
        --exclude=__pycache__ --exclude=var --exclude=tests --exclude=bench . |
        tar -C "$work/src" -xf -
    "$PYTHON" -m venv "$work/venv"
    "$work/venv/bin/pip" wheel --quiet --disable-pip-version-check --no-deps \
        --wheel-dir "$3" "$work/src"
    ;;
install)
    [ $# -eq 3 ] || { echo "usage: $0 install WHEEL_DIR VENV_DIR" >&2; exit 2; }
    "$PYTHON" -m venv "$3"
    "$3/bin/pip" install --quiet --disable-pip-version-check "$2"/okno-*.whl
    ;;
*)
    echo "usage: $0 wheel SOURCE_DIR WHEEL_DIR | install WHEEL_DIR VENV_DIR" >&2
    exit 2
    ;;
esac
