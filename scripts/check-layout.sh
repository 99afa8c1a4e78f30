#!/bin/bash
# shellcheck disable=SC2044 # the tree has no file names with spaces
# check-layout.sh: the rules of docs/layout.md, checked (make check-layout,
# run by make test).
#
#   1. A library (mod_tickets/lib, mod_tickets_sse/lib) includes no httpd
#      header: the unit tests and fuzzers link it without a server.
#   2. A glue area includes only headers of the areas below it, in this
#      order (an area may include its own):
#        mod_tickets:      config request events auth work ai handlers
#        mod_tickets_sse:  config shm stream status handlers
#   3. Neither module includes a header of the other: what they share is
#      include/mod_tickets.h alone.
#   4. No source file is longer than 650 lines.
set -u
cd "$(dirname "$0")/.." || exit 1
bad=0
say() { echo "check-layout: $*" >&2; bad=1; }

# 1.
for f in $(find mod_tickets/lib mod_tickets_sse/lib -name '*.[ch]'); do
    if grep -nE '#include <(httpd|http_[a-z_]+|ap_[a-z_]+|util_[a-z_]+|mod_[a-z_]+|unixd)\.h>' "$f"; then
        say "$f (a library) includes an httpd header"
    fi
done

# 2.
check_areas() {
    local module=$1; shift
    local areas=("$@") i j f inc
    for ((i = 0; i < ${#areas[@]}; ++i)); do
        for f in $(find "$module/${areas[$i]}" -name '*.[ch]' 2>/dev/null); do
            for ((j = i + 1; j < ${#areas[@]}; ++j)); do
                inc=$(grep -nE "#include \"${areas[$j]}/" "$f")
                [ -n "$inc" ] && say "$f (${areas[$i]}) includes the higher area ${areas[$j]}: $inc"
            done
        done
    done
}
check_areas mod_tickets config request events auth work ai handlers
check_areas mod_tickets_sse config shm stream status handlers

# 3.
for f in $(find mod_tickets -name '*.[ch]'); do
    inc=$(grep -nE '#include "(sse_[a-z_]+\.h|shm/|stream/|status/)' "$f")
    [ -n "$inc" ] && say "$f includes a header of mod_tickets_sse: $inc"
done
for f in $(find mod_tickets_sse -name '*.[ch]'); do
    inc=$(grep -nE '#include "(tk_[a-z_]+\.h|core/|db/|valid/|crypto/|jobs/|llm/|request/|events/|auth/|work/|ai/)' "$f")
    [ -n "$inc" ] && say "$f includes a header of mod_tickets: $inc"
done

# 4.
for f in $(find mod_tickets mod_tickets_sse include -name '*.[ch]'); do
    n=$(wc -l <"$f")
    [ "$n" -gt 650 ] && say "$f has $n lines (650 at most)"
done

[ "$bad" -eq 0 ] && echo "check-layout: the layout holds"
exit "$bad"
