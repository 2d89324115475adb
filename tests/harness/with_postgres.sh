#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL server: installs Debian's postgresql if it is missing, starts a
# cluster in a temp dir on 127.0.0.1 (a free port, trust auth), exports FLOWMETRICS_PG_* for the dbt profile,
# runs "$@", and stops the server and removes the cluster whatever happens (trap).
#   tests/harness/with_postgres.sh .venv/bin/python -m tests.harness.engine_check --target postgres
set -euo pipefail

find_pg_bin() {
    local found
    found=$(command -v pg_ctl 2>/dev/null || true)
    if [[ -n "$found" ]]; then dirname "$(readlink -f "$found")"; return; fi
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -n "$found" && -x "$found/pg_ctl" ]]; then echo "$found"; fi
}

PG_BIN=$(find_pg_bin)
if [[ -z "$PG_BIN" ]]; then
    if [[ $(id -u) -ne 0 ]]; then
        echo "PostgreSQL is not installed and this is not root: apt-get install -y postgresql, then retry" >&2
        exit 2
    fi
    echo "installing PostgreSQL from the OS packages (apt-get install -y postgresql)..." >&2
    export DEBIAN_FRONTEND=noninteractive
    # Never start the system cluster the package creates: a policy-rc.d that forbids starting services, for the
    # install only (kept when one is there already, as in most container images).
    added_policy=""
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && added_policy=1
    fi
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null || install_failed=1
    [[ -n "$added_policy" ]] && rm -f /usr/sbin/policy-rc.d
    [[ -z "${install_failed:-}" ]] || { echo "apt-get install postgresql failed" >&2; exit 2; }
    PG_BIN=$(find_pg_bin)
    [[ -n "$PG_BIN" ]] || { echo "postgresql installed but pg_ctl not found" >&2; exit 2; }
fi

# initdb and the server refuse to run as root: run them as the postgres user (created by the package) then.
if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    as_pg() { runuser -u postgres -- "$@"; }
else
    as_pg() { "$@"; }
fi

PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/flowmetrics-pg.XXXXXX")
[[ $(id -u) -eq 0 ]] && chown postgres "$PG_DIR"
stop_server() {
    local status=$?
    if [[ -f "$PG_DIR/data/postmaster.pid" ]]; then
        as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$PG_DIR"
    exit $status
}
trap stop_server EXIT
trap 'exit 130' INT TERM

PORT=$("${PYTHON:-python3}" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U flowmetrics --auth=trust --encoding=UTF8 --locale=C >"$PG_DIR/initdb.log" \
    || { cat "$PG_DIR/initdb.log" >&2; exit 1; }
as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || { cat "$PG_DIR/server.log" >&2; exit 1; }
as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PORT" -U flowmetrics flowmetrics
echo "throwaway PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT ($PG_DIR)" >&2

export FLOWMETRICS_PG_HOST=127.0.0.1 FLOWMETRICS_PG_PORT=$PORT FLOWMETRICS_PG_USER=flowmetrics \
    FLOWMETRICS_PG_PASSWORD="" FLOWMETRICS_PG_DB=flowmetrics
"$@"
