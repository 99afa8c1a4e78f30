#!/bin/sh
# deps.sh: make sure the Debian packages mod_tickets builds, runs and tests
# with are installed, and the libraries they run on are as new as the
# packages were built against.
#
# Missing packages are installed with apt-get when we are root; otherwise the
# apt-get line is printed and we exit 1.  Libraries older than apt's candidate
# are upgraded when we are root, and only named otherwise.  Installing apache2 on Debian starts
# the system service on port 80 when it can; we stop it again so that it does
# not hold ports or files (make run and the tests start their own httpd).
set -eu

PACKAGES="apache2 apache2-dev libapr1-dev libaprutil1-dev libaprutil1-dbd-pgsql
libjansson-dev libcurl4-openssl-dev libssl-dev libpq-dev postgresql postgresql-contrib
check pkg-config python3-pytest python3-requests python3-cryptography wrk build-essential
chromium fonts-dejavu-core"

# The shared libraries those packages run on.  A package's Depends line only
# asks for a minimum (apache2-bin wants libssl3 >= 3.0.0), so apt leaves an
# older library in place while installing a module built against a newer one:
# mod_ssl then warns AH01882 at every start.  Each of these that is installed
# below the version apt would install now is upgraded with the rest.
LIBRARIES="libssl3 libapr1 libaprutil1 libaprutil1-dbd-pgsql libcurl4 libjansson4
libpq5 libnghttp2-14 libbrotli1 libpcre2-8-0"

# Prints the libraries of $LIBRARIES installed below apt's candidate.
stale_libraries() {
    for p in $LIBRARIES; do
        status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
        [ "$status" = installed ] || continue       # absent, or only its config left
        installed=$(dpkg-query -W -f='${Version}' "$p")
        candidate=$(apt-cache policy "$p" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
        case $candidate in ''|'(none)') continue ;; esac
        if dpkg --compare-versions "$installed" lt "$candidate"; then
            printf ' %s' "$p"
        fi
    done
}

missing=
for p in $PACKAGES; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$status" = installed ] || missing="$missing $p"
done
# Node.js runs the browser tests and the API description's linter
# (scripts/node-deps.sh); any Node.js of 18 or newer will do, Debian's or
# another already on the machine.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    missing="$missing nodejs npm"
fi
stale=$(stale_libraries)

if [ -z "$missing$stale" ]; then
    exit 0
fi
if [ -z "$missing" ] && [ "$(id -u)" -ne 0 ]; then
    # Not ours to upgrade; what is installed may still work.
    echo "deps.sh: note: newer versions of$stale are available; if httpd" >&2
    echo "deps.sh: logs AH01882, upgrade them as root" >&2
    exit 0
fi
missing="$missing$stale"

if [ "$(id -u)" -ne 0 ]; then
    echo "deps.sh: missing packages:$missing" >&2
    echo "deps.sh: install them as root with:" >&2
    echo "  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends$missing" >&2
    exit 1
fi

apache_was_running=no
if pgrep -x apache2 >/dev/null 2>&1; then
    apache_was_running=yes
fi

echo "deps.sh: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# Keep maintainer scripts from starting services (the usual Debian
# policy-rc.d mechanism), unless the machine already has its own policy.
policy=/usr/sbin/policy-rc.d
own_policy=no
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    own_policy=yes
    trap 'rm -f "$policy"' EXIT
    trap 'rm -f "$policy"; exit 1' INT TERM
fi
apt-get update
# shellcheck disable=SC2086 # word splitting of the package list is intended
apt-get install -y --no-install-recommends $missing
# The update may have brought newer candidates than the lists knew before.
stale=$(stale_libraries)
if [ -n "$stale" ]; then
    # shellcheck disable=SC2086
    apt-get install -y --no-install-recommends $stale
fi

if [ "$own_policy" = yes ]; then
    rm -f "$policy"
    trap - EXIT INT TERM
fi

# The apache2 and postgresql packages may have started their system services
# (through invoke-rc.d when there is no systemd).  Stop what was not running
# before: our own httpd and cluster are private and need nothing of theirs.
if [ "$apache_was_running" = no ]; then
    if command -v apache2ctl >/dev/null 2>&1 && pgrep -x apache2 >/dev/null 2>&1; then
        echo "deps.sh: stopping the system apache2 started by the package"
        if command -v service >/dev/null 2>&1; then
            service apache2 stop >/dev/null 2>&1 || true
        fi
        apache2ctl -k stop >/dev/null 2>&1 || true
        sleep 1
        pidfile=/var/run/apache2/apache2.pid
        if [ -f "$pidfile" ]; then
            kill "$(cat "$pidfile")" 2>/dev/null || true
        fi
    fi
    if command -v update-rc.d >/dev/null 2>&1; then
        update-rc.d apache2 disable >/dev/null 2>&1 || true
    fi
fi
case $missing in
*postgresql*)
    # A freshly installed postgresql package creates and starts the
    # "main" cluster on port 5432; we do not use it.
    if command -v pg_ctlcluster >/dev/null 2>&1; then
        for v in /etc/postgresql/*/main; do
            [ -d "$v" ] || continue
            ver=$(basename "$(dirname "$v")")
            pg_ctlcluster "$ver" main stop >/dev/null 2>&1 || true
        done
    fi
    ;;
esac
echo "deps.sh: done"
