#!/bin/bash
# test-integration.sh: run the pytest integration suite (make test / asan).
#
# The harness (tests/integration/tkenv.py) starts its own PostgreSQL cluster
# and httpd in var/test-<pid>; this wrapper removes whatever is left of
# them even if pytest itself is killed, and treats "no tests collected"
# (pytest exit status 5) as a failure.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$root" || exit 1
PYTHON=${PYTHON:-/usr/bin/python3}
HTTPD=${HTTPD:-/usr/sbin/apache2}
dir=$root/var/test-$$
export TICKETS_TEST_DIR=$dir PYTHONDONTWRITEBYTECODE=1

# shellcheck disable=SC2317 # invoked through the EXIT trap
cleanup() {
    trap - EXIT INT TERM
    if [ -n "$pypid" ] && kill -0 "$pypid" 2>/dev/null; then
        # pytest turns SIGTERM into KeyboardInterrupt and tears down itself.
        kill -TERM "$pypid" 2>/dev/null || true
        wait "$pypid" 2>/dev/null || true
    fi
    [ -d "$dir" ] || return 0
    local conf=$dir/httpd/httpd.conf pid
    if [ -f "$dir/httpd/run/httpd.pid" ]; then
        "$HTTPD" -f "$conf" -k stop >/dev/null 2>&1 || true
        sleep 1
    fi
    # Any process still running with this instance's config.
    for p in /proc/[0-9]*; do
        pid=${p#/proc/}
        if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- "$conf"; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    scripts/pg.sh destroy "$dir" >/dev/null 2>&1 || true
    rm -rf "$dir"
}
pypid=
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$root/var"
# In the background so that a signal to this script is handled at once.
"$PYTHON" -m pytest -q -p no:cacheprovider "$@" tests/integration &
pypid=$!
wait "$pypid"
rc=$?
pypid=
if [ "$rc" -eq 5 ]; then
    echo "test-integration.sh: no tests were collected" >&2
    rc=1
fi
exit "$rc"
