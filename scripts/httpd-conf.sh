#!/bin/bash
# httpd-conf.sh: render conf/httpd.conf.in for one httpd instance.
#
#   scripts/httpd-conf.sh INSTANCE_DIR PORT PGHOST PGPORT BUILDDIR
#
# Writes INSTANCE_DIR/httpd.conf and creates INSTANCE_DIR/{logs,run}.
# INSTANCE_DIR's parent is the VARDIR given to scripts/pg.sh start, which
# must have run first.
# BUILDDIR holds mod_tickets.so (and mod_tickets_sse.so when built).
# Test-specific directives go in INSTANCE_DIR/extra.conf, which the
# template includes when it exists.
set -euo pipefail

[ $# -eq 5 ] || {
    sed -n '3p' "$0" | sed 's/^# *//' >&2
    exit 2
}
root=$(cd "$(dirname "$0")/.." && pwd -P)
mkdir -p "$1/logs" "$1/run"
inst=$(cd "$1" && pwd -P)
port=$2
pghost=$3
pgport=$4
builddir=$(cd "$5" && pwd -P)
moddir=${APACHE_MODDIR:-$(apxs -q LIBEXECDIR 2>/dev/null || echo /usr/lib/apache2/modules)}

[ -f "$builddir/mod_tickets.so" ] || {
    echo "httpd-conf.sh: $builddir/mod_tickets.so is not built (run make)" >&2
    exit 1
}

# mod_tickets_sse is loaded only when its glue exists in the tree (make
# builds the module only then) and has been built: a stale .so left in
# BUILDDIR without its source is not loaded.
sse_module="# mod_tickets_sse is not built"
sse_loglevel=""
sse_conf="# conf/tickets_sse.conf: mod_tickets_sse is not built"
if [ -f "$root/mod_tickets_sse/mod_tickets_sse.c" ] &&
    [ -f "$builddir/mod_tickets_sse.so" ]; then
    sse_module="LoadModule tickets_sse_module $builddir/mod_tickets_sse.so"
    sse_loglevel="LogLevel tickets_sse:info"
    sse_conf="Include \"$root/conf/tickets_sse.conf\""
fi
user_group="# not started as root: children keep the caller's user"
if [ "$(id -u)" -eq 0 ]; then
    user_group=$'User www-data\nGroup www-data'
fi
# The document root (console/) must be readable by the children.  When the
# repository sits under a directory www-data cannot traverse, serve a copy
# from the instance's directory under /var/tmp (the one scripts/pg.sh made
# for the same reason; removed with the cluster by pg.sh destroy).
# The same holds for the runtime directory, where each child opens the
# lock files of its singleton workers (mod_tickets/work/tk_worker.c).
children_cannot() { # $1: test's flag, $2: path
    [ "$(id -u)" -eq 0 ] && id www-data >/dev/null 2>&1 &&
        ! runuser -u www-data -- test "$1" "$2" 2>/dev/null
}
# The instance's directory under /var/tmp, or "" when there is none.
var_tmp_dir() {
    local pglink
    pglink=$(dirname "$inst")/pg
    [ -L "$pglink" ] && dirname "$(readlink -f "$pglink")"
}
docroot=$root/console
if children_cannot -r "$docroot/."; then
    if spare=$(var_tmp_dir); then
        docroot=$spare/console
        rm -rf "$docroot"
        cp -R "$root/console" "$docroot"
        chmod -R a+rX "$docroot"
    else
        echo "httpd-conf.sh: warning: www-data cannot read $docroot" >&2
    fi
fi

# When run as root the children (www-data) write nothing here but must be
# able to use the mutex files in run/.
chmod 0755 "$inst" "$inst/run" "$inst/logs"
runtimedir=$inst/run
if children_cannot -x "$runtimedir" && spare=$(var_tmp_dir); then
    runtimedir=$spare/run-$(basename "$inst")
    mkdir -p "$runtimedir"
    chmod 0755 "$runtimedir"
fi

# Attachments: next to the runtime directory (so the children can reach
# it), theirs to write.
uploaddir=$inst/uploads
if [ "$runtimedir" != "$inst/run" ]; then
    uploaddir=$(dirname "$runtimedir")/uploads-$(basename "$inst")
fi
mkdir -p "$uploaddir"
chmod 0750 "$uploaddir"
if [ "$(id -u)" -eq 0 ] && id www-data >/dev/null 2>&1; then
    chown www-data:www-data "$uploaddir"
fi

# Transcripts: a key made on first use and kept with the instance, read
# by httpd as it starts (before it gives up root).
keyfile=$inst/transcript.keys
if [ ! -s "$keyfile" ]; then
    (umask 077; printf 'k1 %s\n' "$(head -c 32 /dev/urandom | base64 -w0)" \
        >"$keyfile.tmp" && mv "$keyfile.tmp" "$keyfile")
fi

# Escape a value for the replacement side of a sed s||| command.
esc() { printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g' -e '$!s/$/\\/'; }

sed -e "s|@ROOT@|$(esc "$root")|g" \
    -e "s|@DOCROOT@|$(esc "$docroot")|g" \
    -e "s|@VARDIR@|$(esc "$inst")|g" \
    -e "s|@RUNTIMEDIR@|$(esc "$runtimedir")|g" \
    -e "s|@UPLOADDIR@|$(esc "$uploaddir")|g" \
    -e "s|@KEYFILE@|$(esc "$keyfile")|g" \
    -e "s|@PORT@|$(esc "$port")|g" \
    -e "s|@PGHOST@|$(esc "$pghost")|g" \
    -e "s|@PGPORT@|$(esc "$pgport")|g" \
    -e "s|@BUILDDIR@|$(esc "$builddir")|g" \
    -e "s|@MODDIR@|$(esc "$moddir")|g" \
    -e "s|@SSE_MODULE@|$(esc "$sse_module")|" \
    -e "s|@SSE_LOGLEVEL@|$(esc "$sse_loglevel")|" \
    -e "s|@SSE_CONF@|$(esc "$sse_conf")|" \
    -e "s|@USER_GROUP@|$(esc "$user_group")|" \
    "$root/conf/httpd.conf.in" >"$inst/httpd.conf.tmp"
mv "$inst/httpd.conf.tmp" "$inst/httpd.conf"
