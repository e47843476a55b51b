#!/usr/bin/env bash
# The first command: on a fresh machine, a running Okno with demo data.
# Makes .venv, installs Okno, then `okno demo` migrates var/okno.db (SQLite), fills it with a
# demo company if it is empty, prints the address and the logins, and serves until Ctrl+C.
# Extra arguments go to `okno demo`, e.g. ./scripts/demo.sh --port 8090 --reset
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_common.sh

prepare_venv .
say "Starting the demo"
exec .venv/bin/okno demo "$@"
