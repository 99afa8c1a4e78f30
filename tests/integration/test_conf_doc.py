"""Every directive of each module is documented in its conf/ snippet with
its default, and the documented default is the one the module's table
gives (SPEC sections 2 and 12): mod_tickets in conf/tickets.conf,
mod_tickets_sse in conf/tickets_sse.conf.  Each module declares its
directives in one table (an X-macro: name, kind, field, default, range,
help) from which httpd's command table, the help text and the defaults are
all made, so checking the table checks all of them.  Needs no server."""

import os
import re

import pytest

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))

# (config source, documented conf, fewest directives expected)
MODULES = {
    "tickets": (os.path.join(ROOT, "mod_tickets", "config", "tk_config.c"),
                os.path.join(ROOT, "conf", "tickets.conf"), 13),
    "tickets_sse": (os.path.join(ROOT, "mod_tickets_sse", "config", "sse_config.c"),
                    os.path.join(ROOT, "conf", "tickets_sse.conf"), 6),
}

# X(TicketsName, ..., "default", ...): the first string after the name is
# the default.
TABLE_RE = re.compile(r'^\s*X\(\s*(Tickets\w+)\s*,[^"]*?"([^"]*)"', re.M)
CONF_RE = re.compile(r"^\s*#?\s*(Tickets\w+)\b[ \t]*(\S*)", re.M)


def _present(module):
    config_c, conf, _ = MODULES[module]
    if not os.path.exists(config_c):
        pytest.skip(f"{module} has no {os.path.basename(config_c)}")
    return config_c, conf


def _directives_in_c(config_c):
    with open(config_c) as f:
        text = f.read()
    out = {}
    for m in TABLE_RE.finditer(text):
        assert m.group(1) not in out, f"{m.group(1)} is in the table twice"
        out[m.group(1)] = m.group(2)
    return out


def _directives_in_conf(conf):
    with open(conf) as f:
        text = f.read()
    out = {}
    for m in CONF_RE.finditer(text):
        out.setdefault(m.group(1), []).append(m.group(2))
    return out


@pytest.mark.parametrize("module", sorted(MODULES))
def test_directive_sets_agree(module):
    config_c, conf = _present(module)
    in_c = set(_directives_in_c(config_c))
    in_conf = set(_directives_in_conf(conf))
    assert len(in_c) >= MODULES[module][2], f"parsed too few directives from {config_c}: {in_c}"
    assert in_c - in_conf == set(), f"undocumented in {conf}: {in_c - in_conf}"
    assert in_conf - in_c == set(), f"documented but not in the module: {in_conf - in_c}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_each_directive_shown_with_its_default(module):
    config_c, conf = _present(module)
    in_c = _directives_in_c(config_c)
    for name, values in _directives_in_conf(conf).items():
        assert len(values) == 1, f"{name} appears {len(values)} times in {conf}"
        value = values[0]
        assert value, f"{name} is shown without a default value"
        assert not value.startswith("#"), f"{name} is shown without a default value"
        assert value.lower() == in_c[name].lower(), \
            f"{name}: {conf} says {value}, the module's table says {in_c[name]}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_documented_lines_are_commented_out(module):
    # "the values given are the defaults, so uncomment a line only to change it"
    _, conf = _present(module)
    with open(conf) as f:
        for line in f:
            if re.match(r"^\s*Tickets\w+", line):
                raise AssertionError(f"directive set, not documented: {line.strip()}")


@pytest.mark.parametrize("module", sorted(MODULES))
def test_defaults_are_said_once(module):
    """No default is written a second time in the config source (a help
    string with "(default N)", a defaults struct): the table is the only
    place."""
    config_c, _ = _present(module)
    with open(config_c) as f:
        text = f.read()
    assert not re.search(r'\(default [^")]', text), \
        f"{config_c} spells out a default outside its table"
    assert not re.search(r"/\*\s*Tickets\w+\s*[,*]", text), \
        f"{config_c} has a commented defaults struct besides its table"
