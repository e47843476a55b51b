#!/usr/bin/env bash
# The second command: install what the tests need, then lint, type-check and run every test.
#   Debian packages chromium (browser tests) and dovecot-imapd (e-mail tests), when missing;
#   .venv with Okno and its dev tools; PostgreSQL on 127.0.0.1:5432 and Redis on :6379
#   (started here if they are installed but down).
# Then ruff check, ruff format --check, mypy and pytest; the first failing step stops the run
# and its status is the script's. Under CI=true, PostgreSQL and Redis must be reachable.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_common.sh

DEBIAN_PACKAGES=(chromium dovecot-imapd)

install_debian_packages() {
    if ! command -v dpkg >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
        echo "warning: not Debian (no dpkg/apt-get); install ${DEBIAN_PACKAGES[*]} yourself" >&2
        return 0
    fi
    local missing=() package
    for package in "${DEBIAN_PACKAGES[@]}"; do
        dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        return 0
    fi
    say "Installing Debian packages: ${missing[*]}"
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${missing[@]}"
}

port_open() {
    timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" >/dev/null 2>&1
}

wait_for_port() {
    local port=$1 tries=30
    while [ $tries -gt 0 ]; do
        port_open "$port" && return 0
        sleep 1
        tries=$((tries - 1))
    done
    return 1
}

# $1 name, $2 port, rest: the command that starts it (run as root).
ensure_service() {
    local name=$1 port=$2
    shift 2
    if port_open "$port"; then
        return 0
    fi
    if command -v "$1" >/dev/null 2>&1; then
        say "Starting $name"
        as_root "$@" || echo "warning: could not start $name" >&2
        wait_for_port "$port" && return 0
    fi
    if [ "${CI:-}" = "true" ]; then
        die "$name is not reachable on 127.0.0.1:$port"
    fi
    echo "warning: $name is not reachable on 127.0.0.1:$port; its test variants are skipped" >&2
}

postgres_version() {
    ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1
}

# Runs one step; on failure names it and exits with its status.
step() {
    local name=$1
    shift
    say "$name"
    local status=0
    "$@" || status=$?
    if [ $status -ne 0 ]; then
        printf '\nFAILED: %s (exit status %d)\n' "$name" "$status" >&2
        exit "$status"
    fi
}

run_pytest() {
    local status=0
    # Two workers (OKNO_TEST_WORKERS): most tests wait on sockets, browsers and databases, not
    # on the CPU. A file stays on one worker, so its module fixtures are shared as written.
    .venv/bin/pytest -q -p no:cacheprovider --durations=15 \
        -n "${OKNO_TEST_WORKERS:-2}" --dist loadfile "$@" || status=$?
    if [ $status -eq 5 ]; then
        echo "pytest collected no tests" >&2
    fi
    return $status
}

install_debian_packages
prepare_venv '.[dev]'
ensure_service PostgreSQL 5432 \
    pg_ctlcluster --skip-systemctl-redirect "$(postgres_version)" main start
ensure_service Redis 6379 \
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no

step "ruff check" .venv/bin/ruff check .
step "ruff format --check" .venv/bin/ruff format --check .
step "mypy" .venv/bin/mypy
step "pytest" run_pytest "$@"
say "All checks passed"
