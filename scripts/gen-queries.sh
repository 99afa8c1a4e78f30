#!/bin/sh
# gen-queries.sh: turn sql/queries.sql into a C header.
#
# Each `-- name: <label>` block becomes a `#define TKQ_<label> "<label>"`
# (so a mistyped label fails to compile) and an entry of TK_QUERY_LIST, an
# X-macro the module expands to register every statement with mod_dbd.
# Full-line SQL comments are dropped; the statement text is kept verbatim.
set -eu
src=${1:?usage: gen-queries.sh sql/queries.sql}

awk 'BEGIN { n = 0 }
function flush() {
    if (label == "") return
    sub(/(\\n)+$/, "", text)
    labels[n] = label; texts[n] = text; n++
    label = ""; text = ""
}
/^-- name: / { flush(); label = $3; next }
/^[[:space:]]*--/ { next }
{
    if (label == "") next
    line = $0
    gsub(/\\/, "\\\\", line); gsub(/"/, "\\\"", line)
    if (line == "" && text == "") next
    text = text line "\\n"
}
END {
    flush()
    print "/* Generated from sql/queries.sql by scripts/gen-queries.sh: do not edit. */"
    print "#ifndef TK_QUERIES_H"
    print "#define TK_QUERIES_H"
    print ""
    for (i = 0; i < n; i++) printf "#define TKQ_%s \"%s\"\n", labels[i], labels[i]
    print ""
    print "#define TK_QUERY_LIST \\"
    for (i = 0; i < n; i++) printf "    TK_QUERY(\"%s\", \"%s\") \\\n", labels[i], texts[i]
    print ""
    print "#endif"
}' "$src"
