# Shared by scripts/demo.sh and scripts/test.sh (sourced, not run).

say() { printf '\n==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Run a command as root: directly, or through sudo (never prompting when there is no terminal).
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        if [ -t 0 ]; then sudo "$@"; else sudo -n "$@"; fi
    else
        die "root is needed for: $* (and sudo is not installed)"
    fi
}

python_ok() {
    "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1
}

# The first Python >= 3.11 among $PYTHON, python3.11, python3.12, python3.13, python3.
find_python() {
    local candidate
    for candidate in ${PYTHON:-} python3.11 python3.12 python3.13 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate"; then
            command -v "$candidate"
            return 0
        fi
    done
    die "Okno needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)"
}

# Create .venv (or replace one made with a too-old Python) and install the project into it.
# $1: what to install, e.g. "." or ".[dev]".
prepare_venv() {
    local target=$1 python
    if [ -x .venv/bin/python ] && ! python_ok .venv/bin/python; then
        say "Replacing .venv: it was made with a Python older than 3.11"
        rm -rf .venv
    fi
    if [ ! -x .venv/bin/python ]; then
        python=$(find_python)
        say "Creating .venv with $python"
        if ! "$python" -m venv .venv; then
            rm -rf .venv
            die "could not create a virtual environment; on Debian/Ubuntu: apt-get install python3-venv"
        fi
    fi
    say "Installing Okno ($target) into .venv"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$target"
}
