#!/usr/bin/env python3
"""sqlq.py: print one labelled statement of sql/queries.sql (or of
sql/queries/*.sql) with its placeholders filled in, as a pgbench script
command.

    bench/sqlq.py [-f FILE] LABEL ARG...

The block `-- name: LABEL` runs up to the next `-- name:` line (or the end of
the file).  Full-line `--` comments are dropped, exactly as
scripts/gen-queries.sh does for the module, `%%` becomes `%`, and each `%s`
is replaced, in order, by the next ARG verbatim (a pgbench variable such as
:n, a quoted literal such as '...', or NULL).  The number of ARGs must match
the number of placeholders.  The statement is printed followed by `;` so
that pgbench (which lets a SQL command span lines up to its semicolon) runs
it as one prepared statement.
"""
import os
import re
import sys


def extract(path, label):
    text = None
    lines = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            m = re.match(r"^-- name:\s*(\S+)", line)
            if m:
                if text is not None:
                    break
                if m.group(1) == label:
                    text = lines
                continue
            if text is None:
                continue
            if re.match(r"^\s*--", line):
                continue
            lines.append(line)
    if text is None:
        raise LookupError(label)
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines)


def fill(sql, args, label):
    out = []
    i = 0
    n = 0
    while i < len(sql):
        if sql.startswith("%%", i):
            out.append("%")
            i += 2
        elif sql.startswith("%s", i):
            if n >= len(args):
                raise SystemExit(f"sqlq.py: {label}: more placeholders than "
                                 f"the {len(args)} arguments given")
            out.append(args[n])
            n += 1
            i += 2
        else:
            out.append(sql[i])
            i += 1
    if n != len(args):
        raise SystemExit(f"sqlq.py: {label}: {n} placeholders but "
                         f"{len(args)} arguments")
    text = "".join(out)
    if ";" in text:
        raise SystemExit(f"sqlq.py: {label}: contains ';', pgbench would split it")
    return text


def query_files():
    sql = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sql")
    area = os.path.join(sql, "queries")
    more = sorted(os.path.join(area, f) for f in os.listdir(area)
                  if f.endswith(".sql")) if os.path.isdir(area) else []
    return [os.path.join(sql, "queries.sql")] + more


def find(paths, label):
    for path in paths:
        try:
            return extract(path, label)
        except LookupError:
            continue
    raise SystemExit(f"sqlq.py: no statement labelled {label!r} in "
                     + ", ".join(paths))


def main(argv):
    paths = query_files()
    if len(argv) >= 2 and argv[0] == "-f":
        paths = [argv[1]]
        argv = argv[2:]
    if not argv:
        raise SystemExit(__doc__.strip().splitlines()[4])
    label, args = argv[0], argv[1:]
    print(fill(find(paths, label), args, label) + ";")


if __name__ == "__main__":
    main(sys.argv[1:])
