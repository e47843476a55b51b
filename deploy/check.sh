#!/usr/bin/env bash
# deploy/check.sh: installs Okno the way deploy/README.md does, runs two nodes behind nginx
# on loopback ports, and proves what an administrator relies on:
#   login through nginx; a web form posted through nginx lands once; an operator's websocket
#   on node B receives a request node A accepted; node A killed with SIGKILL -> service goes
#   on through node B, nothing acknowledged lost; node A back -> both nodes serve.
#
# What it uses, changed only in ports and paths: deploy/install-okno.sh (the Dockerfile's
# install steps), deploy/okno.toml.example and okno.env.example, the ExecStart lines of
# deploy/systemd/*.service, and deploy/nginx/okno.conf. It installs nginx from Debian's
# packages if missing (apt-get, as root or with sudo). PostgreSQL and Redis are the machine's
# own (OKNO_CHECK_PG, OKNO_CHECK_REDIS); the check uses a database and a key prefix of its
# own and removes them, with everything else it started, however it ends.
#
# Prints one line per check; exits 0 only if all of them passed.
set -euo pipefail

DEPLOY=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$DEPLOY")
PG_ADMIN=${OKNO_CHECK_PG:-postgresql://postgres@127.0.0.1:5432/postgres}
REDIS_URL=${OKNO_CHECK_REDIS:-redis://127.0.0.1:6379/0}
# Debian's own python3, as on the servers and in the image: a python3 under a home directory
# (pyenv) would be out of reach of the unprivileged user the nodes run as.
if [ -z "${PYTHON:-}" ]; then
    if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi
export PYTHON
RUN_ID=$(date +%s)-$$
DB=okno_check_${RUN_ID//-/_}
PREFIX="okno-check-$RUN_ID:"
WORK=$(mktemp -d /tmp/okno-check.XXXXXX)
chmod 755 "$WORK"  # the nodes and nginx's workers run as nobody when started as root
PIDS=()
DB_CREATED=0

say() { printf '%s\n' "$*"; }
fail() { say "FAIL $*"; exit 1; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

cleanup() {
    local status=$? deadline=$((SECONDS + 30))
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do  # a graceful stop, or SIGKILL after 30 s
        while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
        kill -9 "$pid" 2>/dev/null || true
        { wait "$pid"; } 2>/dev/null || true
    done
    if [ "$DB_CREATED" = 1 ]; then
        psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1 || true
    fi
    redis-cli -u "$REDIS_URL" --scan --pattern "$PREFIX*" 2>/dev/null |
        xargs -r redis-cli -u "$REDIS_URL" del >/dev/null 2>&1 || true
    if [ "$status" -ne 0 ] && [ -z "${OKNO_CHECK_KEEP:-}" ]; then
        for log in "$WORK"/node-*/okno.log "$WORK"/nginx/logs/error.log; do
            [ -f "$log" ] && { say "--- last lines of $log"; tail -n 20 "$log"; }
        done
    fi
    if [ -n "${OKNO_CHECK_KEEP:-}" ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_http() {  # URL SECONDS: until the URL answers 200
    local deadline=$((SECONDS + $2))
    until curl -fsk -o /dev/null --max-time 2 "$1"; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}

for tool in curl openssl psql redis-cli "$PYTHON"; do
    command -v "$tool" >/dev/null || fail "$tool is needed"
done

# --- nginx from Debian's packages --------------------------------------------------------
NGINX=$(command -v nginx || true)
[ -n "$NGINX" ] || { [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx; } || true
if [ -z "$NGINX" ]; then
    say "installing nginx from Debian's packages"
    # policy-rc.d 101: the package must not start a system nginx on port 80 for us.
    made_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
        as_root chmod 755 /usr/sbin/policy-rc.d
        made_policy=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nginx \
        >"$WORK/apt.log" 2>&1 ||
        { as_root apt-get update -q >>"$WORK/apt.log" 2>&1 &&
          as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
              --no-install-recommends nginx >>"$WORK/apt.log" 2>&1; } ||
        { [ "$made_policy" = 1 ] && as_root rm -f /usr/sbin/policy-rc.d; fail "apt-get install nginx (see $WORK/apt.log)"; }
    [ "$made_policy" = 1 ] && as_root rm -f /usr/sbin/policy-rc.d
    NGINX=/usr/sbin/nginx
fi
say "ok   nginx: $("$NGINX" -v 2>&1)"

# --- Okno from its wheel, as the Dockerfile installs it ----------------------------------
sh "$DEPLOY/install-okno.sh" wheel "$ROOT" "$WORK/dist" >"$WORK/install.log" 2>&1 ||
    { tail -n 20 "$WORK/install.log"; fail "building the wheel"; }
sh "$DEPLOY/install-okno.sh" install "$WORK/dist" "$WORK/venv" >>"$WORK/install.log" 2>&1 ||
    { tail -n 20 "$WORK/install.log"; fail "installing the wheel"; }
say "ok   Okno built as a wheel and installed into a new virtualenv ($(basename "$WORK"/dist/*.whl))"

# --- settings, certificate, database ------------------------------------------------------
PORT_A=$(free_port); PORT_B=$(free_port); HTTP_PORT=$(free_port); HTTPS_PORT=$(free_port)
mkdir -p "$WORK/etc" "$WORK/tls" "$WORK/node-a" "$WORK/node-b" "$WORK/nginx/logs"
PG_HOSTPART=${PG_ADMIN%/*}
DATABASE_URL="postgresql+asyncpg://${PG_HOSTPART#postgresql://}/$DB"
# The shipped file, with this machine's addresses in place of the example ones.
sed -e "s|^database_url = .*|database_url = \"$DATABASE_URL\"|" \
    -e "s|^redis_url = .*|redis_url = \"$REDIS_URL\"|" \
    -e "s|^redis_prefix = .*|redis_prefix = \"$PREFIX\"|" \
    -e "s|^host = .*|host = \"127.0.0.1\"|" \
    -e "s|^base_url = .*|base_url = \"https://127.0.0.1:$HTTPS_PORT\"|" \
    -e "s|^trusted_proxy = .*|trusted_proxy = \"127.0.0.1\"|" \
    -e "s|^metrics_networks = .*|metrics_networks = \"127.0.0.0/8\"|" \
    "$DEPLOY/okno.toml.example" >"$WORK/etc/okno.toml"
SECRET=$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(32))')
for node in a b; do
    port_var="PORT_${node^^}"
    sed -e "s|^OKNO_DATABASE_URL=.*|OKNO_DATABASE_URL=$DATABASE_URL|" \
        -e "s|^OKNO_SECRET_KEY=.*|OKNO_SECRET_KEY=$SECRET|" \
        -e "s|^OKNO_METRICS_TOKEN=.*|OKNO_METRICS_TOKEN=$SECRET-metrics|" \
        "$DEPLOY/okno.env.example" >"$WORK/etc/node-$node.env"
    echo "OKNO_PORT=${!port_var}" >>"$WORK/etc/node-$node.env"
done
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1" \
    -keyout "$WORK/tls/privkey.pem" -out "$WORK/tls/fullchain.pem" >/dev/null 2>&1 ||
    fail "generating a self-signed certificate"
psql -q "$PG_ADMIN" -c "CREATE DATABASE \"$DB\"" >/dev/null || fail "creating database $DB"
DB_CREATED=1

# The units' command lines, with the install's paths put in.
unit_command() {
    sed -n 's/^ExecStart=//p' "$DEPLOY/systemd/$1" |
        sed -e "s|/opt/okno/venv|$WORK/venv|g" -e "s|/etc/okno|$WORK/etc|g"
}
RUN_CMD=$(unit_command okno.service)
MIGRATE_CMD=$(unit_command okno-migrate.service)
# As the units do: User= (nobody stands in for okno when run as root) and NoNewPrivileges=.
DROP=()
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
    chmod 644 "$WORK"/etc/*
    chown nobody "$WORK/node-a" "$WORK/node-b"
    DROP=(setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs)
fi
with_env() {  # ENVFILE WORKDIR COMMAND...: EnvironmentFile=, WorkingDirectory=, and the
    # user's own HOME as systemd sets it (the okno user's home is its state directory)
    local envfile=$1 dir=$2; shift 2
    (cd "$dir" && set -a && . "$envfile" && set +a && HOME=$dir && exec "${DROP[@]}" "$@")
}

with_env "$WORK/etc/node-a.env" "$WORK/node-a" $MIGRATE_CMD >"$WORK/migrate.log" 2>&1 ||
    { cat "$WORK/migrate.log"; fail "okno-migrate.service's command"; }
say "ok   migrated with okno-migrate.service's command line"
okno() { with_env "$WORK/etc/node-a.env" "$WORK/node-a" "$WORK/venv/bin/okno" "$@" --config "$WORK/etc/okno.toml"; }
PASSWORD=$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(12))')
okno user add operator --name "Оператор" --role operator --password "$PASSWORD" >/dev/null
okno channel add webform --name demo --option-json rate_limit_per_minute=0 >/dev/null

start_node() {  # a|b: the unit's ExecStart with that node's environment file
    # One subshell that execs: $! is the node's own process, so a SIGKILL reaches the node.
    (
        cd "$WORK/node-$1" && set -a && . "$WORK/etc/node-$1.env" && set +a &&
            HOME="$WORK/node-$1" && exec "${DROP[@]}" $RUN_CMD
    ) >>"$WORK/node-$1/okno.log" 2>&1 &
    PIDS+=($!)
    eval "PID_${1^^}=$!"
}
start_node a
start_node b
wait_http "http://127.0.0.1:$PORT_A/healthz" 60 || fail "node A did not start"
wait_http "http://127.0.0.1:$PORT_B/healthz" 60 || fail "node B did not start"
say "ok   two nodes started with okno.service's command line (ports $PORT_A, $PORT_B)"

# --- nginx in front, with the shipped site file ------------------------------------------
sed -e "s|10\.0\.0\.11:8080|127.0.0.1:$PORT_A|" -e "s|10\.0\.0\.12:8080|127.0.0.1:$PORT_B|" \
    -e "s|listen 80;|listen 127.0.0.1:$HTTP_PORT;|" \
    -e "s|listen 443 ssl http2;|listen 127.0.0.1:$HTTPS_PORT ssl http2;|" \
    -e '/listen \[::\]/d' \
    -e "s|/etc/ssl/okno/|$WORK/tls/|" -e "s|/var/log/nginx/|$WORK/nginx/logs/|" \
    "$DEPLOY/nginx/okno.conf" >"$WORK/nginx/okno.conf"
{
    [ "$(id -u)" -eq 0 ] && echo "user nobody nogroup;"
    echo "worker_processes 1;"
    echo "pid $WORK/nginx/nginx.pid;"
    echo "events { worker_connections 512; }"
    echo "http {"
    echo "    access_log $WORK/nginx/logs/access.log;"
    echo "    client_body_temp_path $WORK/nginx/body;"
    echo "    proxy_temp_path $WORK/nginx/proxy;"
    echo "    include $WORK/nginx/okno.conf;"
    echo "}"
} >"$WORK/nginx/nginx.conf"
NGINX_ARGS=(-p "$WORK/nginx/" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/logs/error.log")
"$NGINX" -t -q "${NGINX_ARGS[@]}" 2>"$WORK/nginx/test.log" ||
    { cat "$WORK/nginx/test.log"; fail "nginx -t rejects deploy/nginx/okno.conf"; }
"$NGINX" "${NGINX_ARGS[@]}" -g "daemon off;" &
PIDS+=($!)
wait_http "https://127.0.0.1:$HTTPS_PORT/healthz" 30 || fail "nginx did not start"
say "ok   nginx runs deploy/nginx/okno.conf (https $HTTPS_PORT, http $HTTP_PORT)"

cat >"$WORK/state.json" <<EOF
{"https": "https://127.0.0.1:$HTTPS_PORT", "http": "http://127.0.0.1:$HTTP_PORT",
 "node_a": "http://127.0.0.1:$PORT_A", "node_b": "http://127.0.0.1:$PORT_B",
 "ca": "$WORK/tls/fullchain.pem", "dsn": "${PG_HOSTPART}/$DB",
 "login": "operator", "password": "$PASSWORD"}
EOF
flow() { "$WORK/venv/bin/python" "$DEPLOY/check_flow.py" "$WORK/state.json" "$@"; }

# --- the checks ---------------------------------------------------------------------------
flow redirect
flow login
flow form-once
disown "$PID_A"  # its end by SIGKILL is the point, not news (check_flow sees the port close)
flow failover --kill "$PID_A"
start_node a
wait_http "http://127.0.0.1:$PORT_A/healthz" 60 || fail "node A did not come back"
say "ok   node A restarted with the same command line"
flow both-serve
say "all checks passed"
