"""Every directive of mod_tickets is documented in conf/tickets.conf with its
default, and the documented default is the one the module announces
(SPEC sections 2 and 12).  Needs no server."""

import os
import re

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))
CONFIG_C = os.path.join(ROOT, "mod_tickets", "mod_tickets_config.c")
TICKETS_CONF = os.path.join(ROOT, "conf", "tickets.conf")

AP_INIT_RE = re.compile(r'AP_INIT_\w+\(\s*"(\w+)"\s*,(.*?)\)\s*,', re.S)
CONF_RE = re.compile(r"^\s*#?\s*(Tickets\w+)\b[ \t]*(\S*)", re.M)


def _directives_in_c():
    with open(CONFIG_C) as f:
        text = f.read()
    out = {}
    for m in AP_INIT_RE.finditer(text):
        help_text = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(2)))
        d = re.search(r"\(default ([^)]+)\)", help_text)
        out[m.group(1)] = d.group(1).strip() if d else None
    return out


def _directives_in_conf():
    with open(TICKETS_CONF) as f:
        text = f.read()
    out = {}
    for m in CONF_RE.finditer(text):
        out.setdefault(m.group(1), []).append(m.group(2))
    return out


def test_directive_sets_agree():
    in_c = set(_directives_in_c())
    in_conf = set(_directives_in_conf())
    assert len(in_c) >= 9, f"parsed too few directives from {CONFIG_C}: {in_c}"
    assert in_c - in_conf == set(), f"undocumented in conf/tickets.conf: {in_c - in_conf}"
    assert in_conf - in_c == set(), f"documented but not in the module: {in_conf - in_c}"


def test_each_directive_shown_with_its_default():
    in_c = _directives_in_c()
    for name, values in _directives_in_conf().items():
        assert len(values) == 1, f"{name} appears {len(values)} times in tickets.conf"
        value = values[0]
        assert value, f"{name} is shown without a default value"
        assert not value.startswith("#"), f"{name} is shown without a default value"
        if in_c.get(name) is not None:
            assert value.lower() == in_c[name].lower(), \
                f"{name}: tickets.conf says {value}, the module says {in_c[name]}"


def test_documented_lines_are_commented_out():
    # "the values given are the defaults, so uncomment a line only to change it"
    with open(TICKETS_CONF) as f:
        for line in f:
            if re.match(r"^\s*Tickets\w+", line):
                raise AssertionError(f"directive set, not documented: {line.strip()}")


DEFAULTS_RE = re.compile(r'^\s*("?[\w.-]+"?),\s*/\*\s*(Tickets\w+)', re.M)


def _defaults_table():
    """The values of the commented defaults structs in mod_tickets_config.c,
    which are what the module really uses when a directive is not set."""
    with open(CONFIG_C) as f:
        text = f.read()
    out = {}
    for m in DEFAULTS_RE.finditer(text):
        value = m.group(1).strip('"')
        out[m.group(2)] = value
    return out


def test_defaults_table_matches_the_documentation():
    table = _defaults_table()
    conf = _directives_in_conf()
    assert set(table) == set(conf), \
        f"defaults table and tickets.conf differ: {set(table) ^ set(conf)}"
    for name, value in table.items():
        documented = conf[name][0]
        if documented.lower() in ("on", "off"):
            documented = "1" if documented.lower() == "on" else "0"
        assert value == documented, \
            f"{name}: the module defaults to {value}, tickets.conf says {conf[name][0]}"
