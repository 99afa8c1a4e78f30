#!/bin/bash
# pg.sh: a private PostgreSQL cluster for one instance directory.
#
#   scripts/pg.sh start   VARDIR [PORT]   create on first use, start, ensure db
#   scripts/pg.sh stop    VARDIR          stop (fast shutdown) if running
#   scripts/pg.sh destroy VARDIR          stop and remove the cluster
#   scripts/pg.sh sockdir VARDIR          print the socket directory
#   scripts/pg.sh status  VARDIR          exit 0 when running
#
# Layout: VARDIR/pg/{data,sock,postgres.log}.  The server listens only on a
# unix socket in VARDIR/pg/sock (listen_addresses=''), with trust auth for
# local connections; the superuser role and the database are both "tickets".
#
# PostgreSQL refuses to run as root, so as root the cluster belongs to the
# "postgres" system user and every server command runs through runuser.
# That user, and httpd's children running as www-data, must be able to reach
# the data and socket directories; when VARDIR sits under a directory they
# cannot traverse (a clone in /root with mode 700), or when the socket path
# would be too long for a unix socket, VARDIR/pg is a symlink to a
# directory under /var/tmp named after the absolute VARDIR.
#
# Environment: PG_BINDIR (default: /usr/lib/postgresql/15/bin), PG_FAST=1
# (no fsync; for throwaway test clusters).
set -euo pipefail

PG_BINDIR=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
PG_USER_NAME=tickets

die() {
    echo "pg.sh: $*" >&2
    exit 1
}
log() { echo "pg.sh: $*" >&2; }

[ $# -ge 2 ] || die "usage: pg.sh start|stop|destroy|sockdir|status VARDIR [PORT]"
cmd=$1
vardir=$2
port=${3:-${PGPORT:-5432}}

[ -x "$PG_BINDIR/pg_ctl" ] || die "no PostgreSQL in $PG_BINDIR (install postgresql, or set PG_BINDIR)"

is_root() { [ "$(id -u)" -eq 0 ]; }

# Run a server-side command as the cluster owner.
as_owner() {
    if is_root; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

mkdir -p "$vardir"
vardir=$(cd "$vardir" && pwd -P)
link=$vardir/pg

# Can the cluster owner and httpd's user reach a directory?
reachable() {
    local dir=$1
    if is_root; then
        runuser -u postgres -- test -x "$dir" 2>/dev/null || return 1
        if id www-data >/dev/null 2>&1; then
            runuser -u www-data -- test -x "$dir" 2>/dev/null || return 1
        fi
    fi
    return 0
}

# Where the cluster really lives.
pgdir_for() {
    local hash
    # sock path + "/.s.PGSQL.NNNNN" must stay under the 107-byte limit
    if [ ${#vardir} -le 70 ] && reachable "$vardir"; then
        echo "$vardir/pg"
    else
        hash=$(printf '%s' "$vardir" | md5sum | cut -c1-12)
        echo "/var/tmp/mod_tickets-$hash/pg"
    fi
}

resolve() {
    if [ -L "$link" ]; then
        readlink -f "$link"
    elif [ -d "$link" ]; then
        echo "$link"
    else
        pgdir_for
    fi
}

pgdir=$(resolve)
data=$pgdir/data
sock=$pgdir/sock

# Is the postmaster of this data directory alive?  (Checked through /proc
# rather than pg_ctl status, which takes an unreaped zombie for a server.)
pid_alive() {
    local pid=$1 state
    [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
    state=$(sed 's/^.*) //' "/proc/$pid/stat" | cut -d' ' -f1)
    [ "$state" != Z ] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$data"
}

pg_running() {
    local pid
    [ -f "$data/postmaster.pid" ] || return 1
    pid=$(head -n1 "$data/postmaster.pid" 2>/dev/null || true)
    pid_alive "$pid"
}

# Remove a postmaster.pid (and socket lock files) left by a killed server.
clean_stale() {
    local pidfile=$data/postmaster.pid
    [ -f "$pidfile" ] || return 0
    pg_running && return 0
    log "removing stale $pidfile"
    rm -f "$pidfile" "$sock"/.s.PGSQL.* 2>/dev/null || true
}

create_dirs() {
    local base
    if [ "$pgdir" != "$link" ]; then
        base=$(dirname "$pgdir")
        mkdir -p "$base"
        chmod 0755 "$base"
        if [ ! -L "$link" ]; then
            [ -e "$link" ] && die "$link exists and is not a symlink to $pgdir"
            ln -s "$pgdir" "$link"
        fi
    fi
    mkdir -p "$pgdir" "$sock"
    chmod 0755 "$pgdir" "$sock"
    if is_root; then
        id postgres >/dev/null 2>&1 || die "no 'postgres' user (install the postgresql package)"
        chown postgres: "$pgdir" "$sock"
    fi
}

do_initdb() {
    log "initdb $data"
    as_owner mkdir -p "$data"
    as_owner chmod 0700 "$data"
    as_owner "$PG_BINDIR/initdb" -D "$data" -U "$PG_USER_NAME" --auth=trust \
        -E UTF8 --locale=C.UTF-8 >"$pgdir/initdb.log" 2>&1 ||
        {
            cat "$pgdir/initdb.log" >&2
            die "initdb failed"
        }
}

do_start() {
    local opts
    create_dirs
    [ -f "$data/PG_VERSION" ] || do_initdb
    if pg_running; then
        log "already running ($data)"
    else
        clean_stale
        opts="-c listen_addresses='' -c unix_socket_directories='$sock'"
        opts="$opts -c unix_socket_permissions=0777 -p $port -c max_connections=250"
        if [ "${PG_FAST:-0}" = 1 ]; then
            opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        fi
        as_owner "$PG_BINDIR/pg_ctl" -D "$data" -l "$pgdir/postgres.log" \
            -o "$opts" -w -t 60 start >/dev/null ||
            {
                tail -n 20 "$pgdir/postgres.log" >&2 || true
                die "PostgreSQL did not start (log: $pgdir/postgres.log)"
            }
    fi
    # The socket may have been created for another port by a running server.
    [ -S "$sock/.s.PGSQL.$port" ] || die "no socket $sock/.s.PGSQL.$port (server running on another port?)"
    if ! "$PG_BINDIR/psql" -X -At -h "$sock" -p "$port" -U "$PG_USER_NAME" -d postgres \
        -c "SELECT 1 FROM pg_database WHERE datname = '$PG_USER_NAME'" | grep -q 1; then
        log "createdb $PG_USER_NAME"
        "$PG_BINDIR/createdb" -h "$sock" -p "$port" -U "$PG_USER_NAME" "$PG_USER_NAME"
    fi
}

do_stop() {
    if pg_running; then
        as_owner "$PG_BINDIR/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null ||
            as_owner "$PG_BINDIR/pg_ctl" -D "$data" -m immediate -w stop >/dev/null || true
    fi
}

case $cmd in
start) do_start ;;
stop) do_stop ;;
destroy)
    do_stop
    if [ -L "$link" ]; then
        rm -rf "$(dirname "$pgdir")"
        rm -f "$link"
    else
        rm -rf "$link"
    fi
    ;;
sockdir) echo "$sock" ;;
status) pg_running ;;
*) die "unknown command: $cmd" ;;
esac
