#!/bin/bash
# migrate.sh: apply sql/migrations/NNN_*.sql in numeric order.
#
#   scripts/migrate.sh [-h SOCKDIR] [-p PORT] [-d DBNAME] [-U USER] [DIR]
#
# Connection defaults come from PGHOST, PGPORT, PGDATABASE and PGUSER
# (database and user default to "tickets").  DIR defaults to sql/migrations.
#
# Each file runs in one transaction (psql -1, ON_ERROR_STOP) together with
# the INSERT that records its number in schema_migrations, so a migration is
# either applied and recorded or neither.  Applied numbers are skipped, so
# re-running is a no-op.
set -euo pipefail

PG_BINDIR=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
PSQL=$PG_BINDIR/psql
[ -x "$PSQL" ] || PSQL=psql

usage() {
    sed -n '3,4p' "$0" | sed 's/^# //' >&2
    exit 2
}

while getopts h:p:d:U: opt; do
    case $opt in
    h) export PGHOST=$OPTARG ;;
    p) export PGPORT=$OPTARG ;;
    d) export PGDATABASE=$OPTARG ;;
    U) export PGUSER=$OPTARG ;;
    *) usage ;;
    esac
done
shift $((OPTIND - 1))
export PGDATABASE=${PGDATABASE:-tickets}
export PGUSER=${PGUSER:-tickets}
dir=${1:-$(dirname "$0")/../sql/migrations}

psql_() { "$PSQL" -X -q -v ON_ERROR_STOP=1 "$@"; }

psql_ -c "SET client_min_messages = warning;
          CREATE TABLE IF NOT EXISTS schema_migrations (
              version    text PRIMARY KEY,
              applied_at timestamptz DEFAULT now())"

applied=$(psql_ -At -c "SELECT version FROM schema_migrations")

# Numeric order of the NNN prefix, whatever its width.
mapfile -t files < <(
    for f in "$dir"/[0-9]*_*.sql; do
        [ -e "$f" ] || continue
        b=$(basename "$f")
        case ${b%%_*} in *[!0-9]*) continue ;; esac
        printf '%d\t%s\n' "$((10#${b%%_*}))" "$f"
    done | sort -n -k1,1 | cut -f2-
)

seen=" "
count=0
for f in "${files[@]}"; do
    b=$(basename "$f")
    version=${b%%_*}
    case $version in
    *[!0-9]*) echo "migrate.sh: $b: the prefix before _ must be a number" >&2 && exit 1 ;;
    esac
    case $seen in
    *" $((10#$version)) "*) echo "migrate.sh: two migrations numbered $version" >&2 && exit 1 ;;
    esac
    seen="$seen$((10#$version)) "
    if grep -qxF -- "$version" <<<"$applied"; then
        continue
    fi
    echo "migrate.sh: applying $b" >&2
    psql_ -1 -f "$f" -c "INSERT INTO schema_migrations (version) VALUES ('$version')"
    count=$((count + 1))
done
echo "migrate.sh: $count migration(s) applied, ${#files[@]} known" >&2
