"""mod_tickets_sse loads and runs without mod_tickets (SPEC section 9, issue
3: "each module loads without the other"): httpd starts, says so in the
error log, and a stream request is refused cleanly instead of crashing a
child.  Uses its own throwaway httpd, not the shared instance."""

import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest
import requests

from tkenv import _free_port, _pid_alive, _port_open
from tkcheck import moddir


def test_sse_module_without_mod_tickets(env):
    so = os.path.join(env.build_dir, "mod_tickets_sse.so")
    if not os.path.exists(so):
        pytest.skip("mod_tickets_sse is not built")
    mods = moddir(env)
    port = _free_port()
    d = tempfile.mkdtemp(prefix="tickets-sse-alone-")
    os.makedirs(os.path.join(d, "logs"))
    conf = os.path.join(d, "httpd.conf")
    with open(conf, "w") as f:
        f.write(f"""
ServerRoot "{d}"
PidFile "{d}/httpd.pid"
Mutex file:{d} default
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
LoadModule mpm_event_module {mods}/mod_mpm_event.so
LoadModule authz_core_module {mods}/mod_authz_core.so
LoadModule unique_id_module {mods}/mod_unique_id.so
LoadModule tickets_sse_module {so}
ErrorLog "{d}/logs/error_log"
LogLevel warn
<Location /api/events/stream>
    SetHandler tickets-sse
    Require all granted
</Location>
""")
    pid = None
    try:
        # env's environment: in a sanitizer run it preloads the runtimes
        r = subprocess.run([env.httpd, "-f", conf, "-k", "start"], capture_output=True,
                           text=True, timeout=60, env=env._httpd_env())
        assert r.returncode == 0, r.stdout + r.stderr
        pidfile = os.path.join(d, "httpd.pid")
        deadline = time.time() + 20
        while time.time() < deadline and not (_port_open(port) and
                                              os.path.exists(pidfile)):
            time.sleep(0.1)
        assert _port_open(port), "httpd with mod_tickets_sse alone did not start"
        with open(pidfile) as f:
            pid = int(f.read().strip() or 0) or None
        resp = requests.get(f"http://127.0.0.1:{port}/api/events/stream", timeout=10)
        assert resp.status_code >= 500, resp.status_code
        assert "text/event-stream" not in resp.headers.get("Content-Type", "")
        with open(os.path.join(d, "logs", "error_log")) as f:
            log = f.read()
        assert "TK10006" in log
        assert "exit signal" not in log and "Segmentation" not in log
    finally:
        subprocess.run([env.httpd, "-f", conf, "-k", "stop"], capture_output=True,
                       timeout=60, env=env._httpd_env())
        deadline = time.time() + 20
        while pid and time.time() < deadline and _pid_alive(pid):
            time.sleep(0.1)
        if pid and _pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(d, ignore_errors=True)
