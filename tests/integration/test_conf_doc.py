"""Every directive of each module is documented in its conf/ snippet with
its default, and the documented default is the one the module announces
(SPEC sections 2 and 12): mod_tickets in conf/tickets.conf, mod_tickets_sse
in conf/tickets_sse.conf.  Needs no server."""

import os
import re

import pytest

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))

# (config source, documented conf, fewest directives expected)
MODULES = {
    "tickets": (os.path.join(ROOT, "mod_tickets", "mod_tickets_config.c"),
                os.path.join(ROOT, "conf", "tickets.conf"), 9),
    "tickets_sse": (os.path.join(ROOT, "mod_tickets_sse", "mod_tickets_sse_config.c"),
                    os.path.join(ROOT, "conf", "tickets_sse.conf"), 4),
}

AP_INIT_RE = re.compile(r'AP_INIT_\w+\(\s*"(\w+)"\s*,(.*?)\)\s*,', re.S)
CONF_RE = re.compile(r"^\s*#?\s*(Tickets\w+)\b[ \t]*(\S*)", re.M)
SIZE_RE = re.compile(r"^(\d+)([KMG])$", re.I)


def _present(module):
    config_c, conf, _ = MODULES[module]
    if not os.path.exists(config_c):
        pytest.skip(f"{module} has no {os.path.basename(config_c)}")
    return config_c, conf


def _directives_in_c(config_c):
    with open(config_c) as f:
        text = f.read()
    out = {}
    for m in AP_INIT_RE.finditer(text):
        help_text = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(2)))
        d = re.search(r"\(default ([^)]+)\)", help_text)
        out[m.group(1)] = d.group(1).strip() if d else None
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
        if in_c.get(name) is not None:
            assert value.lower() == in_c[name].lower(), \
                f"{name}: {conf} says {value}, the module says {in_c[name]}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_documented_lines_are_commented_out(module):
    # "the values given are the defaults, so uncomment a line only to change it"
    _, conf = _present(module)
    with open(conf) as f:
        for line in f:
            if re.match(r"^\s*Tickets\w+", line):
                raise AssertionError(f"directive set, not documented: {line.strip()}")


DEFAULTS_RE = re.compile(r'^\s*("?[\w.-]+"?),\s*/\*\s*(Tickets\w+)', re.M)


def _defaults_table(config_c):
    """The values of the commented defaults structs in the config source,
    which are what the module really uses when a directive is not set."""
    with open(config_c) as f:
        text = f.read()
    out = {}
    for m in DEFAULTS_RE.finditer(text):
        value = m.group(1).strip('"')
        out[m.group(2)] = value
    return out


def _normalize(documented):
    """The documented value as the defaults table writes it: On/Off as 1/0,
    sizes with a K, M or G suffix in bytes."""
    if documented.lower() in ("on", "off"):
        return "1" if documented.lower() == "on" else "0"
    m = SIZE_RE.match(documented)
    if m:
        return str(int(m.group(1)) << {"k": 10, "m": 20, "g": 30}[m.group(2).lower()])
    return documented


@pytest.mark.parametrize("module", sorted(MODULES))
def test_defaults_table_matches_the_documentation(module):
    config_c, conf_path = _present(module)
    table = _defaults_table(config_c)
    conf = _directives_in_conf(conf_path)
    assert set(table) == set(conf), \
        f"defaults table and {conf_path} differ: {set(table) ^ set(conf)}"
    for name, value in table.items():
        documented = conf[name][0]
        assert value == _normalize(documented), \
            f"{name}: the module defaults to {value}, {conf_path} says {documented}"
