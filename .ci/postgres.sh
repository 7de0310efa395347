#!/usr/bin/env bash
# .ci/postgres.sh: start a throwaway PostgreSQL server for the tests of the
# shared catalog (lake on PostgreSQL) and print its URL on stdout, e.g.
#   export DISTILL_TEST_POSTGRES=$(.ci/postgres.sh)
# It installs Debian's postgresql package when no server is installed, then
# runs initdb and pg_ctl as an unprivileged user (PostgreSQL refuses to run
# as root) in a new temporary folder, listening on 127.0.0.1 on a free port,
# with trust authentication for the user "distill". Progress goes to stderr.
# It says on stderr where it runs and how to stop it.
set -euo pipefail

say() { echo "postgres.sh: $*" >&2; }

pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

bin=$(pgbin)
if [ -z "$bin" ]; then
    command -v apt-get >/dev/null 2>&1 || { say "no PostgreSQL installed and no apt-get to install it"; exit 1; }
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || { say "not root and no sudo: cannot install postgresql"; exit 1; }
        SUDO="sudo -n"
    fi
    say "installing Debian's postgresql package"
    $SUDO apt-get update -qq >&2
    # The package's own cluster is not used; policy-rc.d keeps it from
    # being started where there is no init system.
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends postgresql >&2
    bin=$(pgbin)
    [ -n "$bin" ] || { say "postgresql installed but no /usr/lib/postgresql/*/bin found"; exit 1; }
fi

# The unprivileged user the server runs as.
run_as=()
if [ "$(id -u)" -eq 0 ]; then
    user=postgres
    if ! id "$user" >/dev/null 2>&1; then
        user=distillpg
        id "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
    fi
    if command -v runuser >/dev/null 2>&1; then
        run_as=(runuser -u "$user" --)
    else
        run_as=(su -s /bin/sh "$user" -c)
    fi
fi
as_user() {
    if [ ${#run_as[@]} -eq 0 ]; then "$@"
    elif [ "${run_as[0]}" = runuser ]; then "${run_as[@]}" "$@"
    else "${run_as[@]}" "$(printf '%q ' "$@")"
    fi
}

dir=$(mktemp -d "${TMPDIR:-/tmp}/distill-pg.XXXXXX")
chmod 755 "$dir"
[ "$(id -u)" -eq 0 ] && chown "$user" "$dir"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

as_user "$bin/initdb" -D "$dir/data" -U distill -A trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; say "initdb failed"; exit 1; }
as_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >&2 \
    || { cat "$dir/server.log" >&2; say "pg_ctl start failed"; exit 1; }
say "$("$bin/postgres" --version) runs in $dir (port $port); stop it with: ${run_as[*]:+${run_as[*]} }$bin/pg_ctl -D $dir/data stop"
echo "postgres://distill@127.0.0.1:$port/postgres?sslmode=disable"
