#!/bin/sh
# gen-queries.sh: turn sql/queries.sql and sql/queries/*.sql into C.
#
# Each `-- name: <label>` block becomes a `#define TKQ_<label> "<label>"`
# (so a mistyped label fails to compile), a `#define TKQ_<label>_NARGS n`
# with the number of its `%s` placeholders (so a call with another number
# of arguments fails to compile: TK_SELECT in lib/db/tk_db.h), and an entry
# of TK_QUERY_LIST, an X-macro the module expands into its catalogue to
# register every statement with mod_dbd.  Full-line SQL comments are
# dropped; the statement text is kept verbatim.
#
#   gen-queries.sh header FILE...   build/tk_queries.h
#   gen-queries.sh source FILE...   build/tk_queries.c: the catalogue
#                                   (tk_query_catalogue)
#
# Labels are one name space across the files; a label given twice fails.
set -eu
what=${1:?usage: gen-queries.sh header|source FILE...}
shift

awk 'BEGIN { n = 0 }
function flush() {
    if (label == "") return
    sub(/(\\n)+$/, "", text)
    counted = text; gsub(/%%/, "", counted)
    nargs[n] = gsub(/%s/, "", counted)
    labels[n] = label; texts[n] = text; n++
    label = ""; text = ""
}
FNR == 1 { flush() }
/^-- name: / {
    flush(); label = $3
    if (label in seen) { print "gen-queries.sh: label " label " given twice" > "/dev/stderr"; failed = 1; exit 1 }
    seen[label] = 1; next
}
/^[[:space:]]*--/ { next }
{
    if (label == "") next
    line = $0
    gsub(/\\/, "\\\\", line); gsub(/"/, "\\\"", line)
    if (line == "" && text == "") next
    text = text line "\\n"
}
END {
    if (failed) exit 1
    flush()
    if (n == 0) exit 1
    print "/* Generated from sql/queries.sql by scripts/gen-queries.sh: do not edit. */"
    if (what == "source") {
        print "#include \"db/tk_db.h\""
        print "#include \"tk_queries.h\""
        print ""
        print "#define TK_QUERY(label, sql) { label, sql },"
        print "static const tk_query_t tk_queries[] = { TK_QUERY_LIST };"
        print "#undef TK_QUERY"
        print ""
        print "const tk_query_t *tk_query_catalogue(int *n)"
        print "{"
        print "    *n = (int)(sizeof(tk_queries) / sizeof(tk_queries[0]));"
        print "    return tk_queries;"
        print "}"
        exit
    }
    print "#ifndef TK_QUERIES_H"
    print "#define TK_QUERIES_H"
    print ""
    for (i = 0; i < n; i++) {
        printf "#define TKQ_%s \"%s\"\n", labels[i], labels[i]
        printf "#define TKQ_%s_NARGS %d\n", labels[i], nargs[i]
    }
    print ""
    print "#define TK_QUERY_LIST \\"
    for (i = 0; i < n; i++) printf "    TK_QUERY(\"%s\", \"%s\") \\\n", labels[i], texts[i]
    print ""
    print "#endif"
}' what="$what" "$@"
