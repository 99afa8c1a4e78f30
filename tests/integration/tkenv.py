"""tkenv: a real httpd and a real PostgreSQL for the integration tests.

Modelled on httpd's own test/pyhttpd: one Env per test session owns a
throwaway PostgreSQL cluster (scripts/pg.sh) and an httpd instance rendered
from conf/httpd.conf.in (scripts/httpd-conf.sh), both under one instance
directory (TICKETS_TEST_DIR, default var/test-<pid>).  Tests talk plain HTTP
to it, may rewrite its extra configuration and restart it, and query the
database with psql.  After every test the new part of the error log is
checked (see conftest.py).

Environment:
  TICKETS_BUILD_DIR   directory with mod_tickets.so (default: build)
  TICKETS_TEST_DIR    instance directory (default: var/test-<pid>)
  TICKETS_SANITIZE=1  preload ASan/UBSan into httpd; reports are collected in
                      <build dir>/sanitizer-reports/
  HTTPD, PG_BINDIR    binaries (default /usr/sbin/apache2, PostgreSQL 15)
"""

import atexit
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import requests

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEMO_PASSWORD = "demo-password"
DEMO_USERS = (
    "admin@acme.test",
    "agent@acme.test",
    "viewer@acme.test",
    "customer@acme.test",
    "admin@globex.test",
)

# [time] [module:level] [pid P:tid T] [rid R] message
LOG_LINE_RE = re.compile(r"^\[[^\]]*\] \[(?P<module>[^:\]]*):(?P<level>[a-z]+[0-9]*)\] ")
BAD_LEVELS = ("emerg", "alert", "crit", "error", "warn")
# httpd's own capacity notices (all workers busy), which tests that load the
# server on purpose (streams holding threads, concurrent writers) can cause
# on a small machine; they say nothing about the module.
CAPACITY_NOTICES = (re.compile(r"AH10159"), re.compile(r"AH00484"))
# A child that died of a signal (core's AH00052 is only a notice): always a
# failure, whatever the test allows.
CRASH_RE = re.compile(r"AH00052|exit signal")
# Children a test killed on purpose (Env.expect_child_killed): their
# "child pid N exit signal" notice is no crash.
KILLED_PIDS = set()


class EnvError(Exception):
    pass


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _pid_alive(pid):
    """True for a live, non-zombie process."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except (OSError, IndexError):
        return False


def _pids_with_arg(needle):
    """Pids of processes whose command line contains needle (our own
    instance-specific config path, so nothing else matches)."""
    pids = []
    for d in glob.glob("/proc/[0-9]*"):
        try:
            with open(d + "/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        pid = int(d.rsplit("/", 1)[1])
        if needle in cmd and pid != os.getpid() and _pid_alive(pid):
            pids.append(pid)
    return pids


class Env:
    def __init__(self):
        self.root = ROOT
        self.build_dir = os.path.realpath(
            os.path.join(ROOT, os.environ.get("TICKETS_BUILD_DIR", "build")))
        self.base = os.path.realpath(os.environ.get("TICKETS_TEST_DIR") or
                                     os.path.join(ROOT, "var", f"test-{os.getpid()}"))
        self.inst = os.path.join(self.base, "httpd")
        self.conf = os.path.join(self.inst, "httpd.conf")
        self.extra_conf = os.path.join(self.inst, "extra.conf")
        self.error_log = os.path.join(self.inst, "logs", "error_log")
        self.pid_file = os.path.join(self.inst, "run", "httpd.pid")
        self.httpd = os.environ.get("HTTPD", "/usr/sbin/apache2")
        self.pg_bindir = os.environ.get("PG_BINDIR", "/usr/lib/postgresql/15/bin")
        self.sanitize = os.environ.get("TICKETS_SANITIZE") == "1"
        self.san_dir = None
        self.pg_port = 5432          # only names the socket file
        self.pg_host = None
        self.port = None
        self._expected = []
        self._started = False
        self._torn_down = False

    # ---- lifecycle ---------------------------------------------------------
    def setup(self):
        so = os.path.join(self.build_dir, "mod_tickets.so")
        if not os.path.exists(so):
            raise EnvError(f"{so} is not built (run make)")
        os.makedirs(self.base, exist_ok=True)
        atexit.register(self.teardown)
        self._scripts("pg.sh", "start", self.base, str(self.pg_port),
                      env={"PG_FAST": "1"})
        self.pg_host = self._scripts("pg.sh", "sockdir", self.base).strip()
        self._scripts("migrate.sh", "-h", self.pg_host, "-p", str(self.pg_port))
        self._psql_file(os.path.join(ROOT, "sql", "demo.sql"))
        if self.sanitize:
            self.san_dir = tempfile.mkdtemp(prefix="tickets-san-", dir="/var/tmp")
            os.chmod(self.san_dir, 0o1777)
        self.port = _free_port()
        self._scripts("httpd-conf.sh", self.inst, str(self.port), self.pg_host,
                      str(self.pg_port), self.build_dir)
        self.write_extra_conf("")
        self.start()

    def teardown(self):
        if self._torn_down:
            return
        self._torn_down = True
        try:
            self.stop()
        finally:
            try:
                self._scripts("pg.sh", "destroy", self.base, check=False)
            finally:
                self._collect_sanitizer_reports()
                shutil.rmtree(self.base, ignore_errors=True)

    # ---- httpd -------------------------------------------------------------
    def _httpd_env(self):
        env = dict(os.environ)
        if self.sanitize:
            libs = []
            for lib in ("libasan.so", "libubsan.so"):
                path = subprocess.run(["gcc", f"-print-file-name={lib}"], text=True,
                                      capture_output=True).stdout.strip()
                libs.append(path)
            env["LD_PRELOAD"] = " ".join(libs)
            env["ASAN_OPTIONS"] = (f"detect_leaks=0:abort_on_error=0:"
                                   f"log_path={self.san_dir}/asan")
            env["UBSAN_OPTIONS"] = (f"print_stacktrace=1:halt_on_error=1:"
                                    f"log_path={self.san_dir}/ubsan")
        return env

    def apachectl(self, *args, check=True):
        return subprocess.run([self.httpd, "-f", self.conf, *args], env=self._httpd_env(),
                              text=True, capture_output=True, check=check, timeout=60)

    def _httpd_pid(self):
        try:
            with open(self.pid_file) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            return None
        return pid if _pid_alive(pid) else None

    def config_test(self):
        r = self.apachectl("-t", check=False)
        if r.returncode != 0:
            raise EnvError(f"httpd config test failed:\n{r.stdout}{r.stderr}")

    def start(self, timeout=30):
        self.config_test()
        mark = self.log_mark()
        r = self.apachectl("-k", "start", check=False)
        if r.returncode != 0:
            raise EnvError(f"httpd -k start failed:\n{r.stdout}{r.stderr}" +
                           "".join(self.error_log_lines_since(mark)[-10:]))
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self._httpd_pid() and _port_open(self.port):
                self._started = True
                return
            time.sleep(0.1)
        raise EnvError("httpd did not come up; error log:\n" +
                       "".join(self.error_log_lines_since(mark)[-30:]))

    def stop(self, timeout=20):
        pid = self._httpd_pid()
        if pid:
            self.apachectl("-k", "stop", check=False)
            deadline = time.time() + timeout
            while time.time() < deadline and _pid_alive(pid):
                time.sleep(0.1)
        # Anything of this instance that is still alive (parent or children).
        for p in ([pid] if pid else []) + _pids_with_arg(self.conf):
            try:
                if _pid_alive(p):
                    os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if os.path.exists(self.pid_file):
            os.unlink(self.pid_file)
        self._started = False

    def write_extra_conf(self, text):
        with open(self.extra_conf, "w") as f:
            f.write(text)

    def restart(self, extra_conf: str = "", graceful: bool = False, timeout=30):
        """Rewrite the extra include and restart httpd.

        A full restart stops the server and starts it again (new processes,
        new shared memory); graceful sends -k graceful and waits until the
        parent logs that it resumed normal operations."""
        self.write_extra_conf(extra_conf)
        self.config_test()
        if not graceful or not self._httpd_pid():
            self.stop()
            self.start(timeout=timeout)
            return
        mark = self.log_mark()
        self.apachectl("-k", "graceful")
        deadline = time.time() + timeout
        while time.time() < deadline:
            if any("resuming normal operations" in l
                   for l in self.error_log_lines_since(mark)) and _port_open(self.port):
                return
            time.sleep(0.1)
        raise EnvError("httpd did not finish its graceful restart")

    # ---- HTTP --------------------------------------------------------------
    def url(self, path="/"):
        return f"http://127.0.0.1:{self.port}{path}"

    def session(self, user=None, password=DEMO_PASSWORD):
        s = requests.Session()
        if user:
            s.auth = (user, password)
        return s

    def get(self, path, user=None, **kw):
        kw.setdefault("timeout", 30)
        return self.session(user).get(self.url(path), **kw)

    # ---- PostgreSQL ----------------------------------------------------------
    def _pg_env(self):
        env = dict(os.environ)
        env.update(PGHOST=self.pg_host, PGPORT=str(self.pg_port),
                   PGDATABASE="tickets", PGUSER="tickets")
        return env

    def psql(self, sql):
        """Run SQL; return the rows of the last statement as lists of str."""
        r = subprocess.run([os.path.join(self.pg_bindir, "psql"), "-X", "-q", "-At",
                            "-v", "ON_ERROR_STOP=1", "-F", "\x1f", "-c", sql],
                           env=self._pg_env(), text=True, capture_output=True, timeout=60)
        if r.returncode != 0:
            raise EnvError(f"psql failed: {r.stderr.strip()}")
        return [line.split("\x1f") for line in r.stdout.splitlines()]

    def _psql_file(self, path):
        r = subprocess.run([os.path.join(self.pg_bindir, "psql"), "-X", "-q",
                            "-v", "ON_ERROR_STOP=1", "-f", path],
                           env=self._pg_env(), text=True, capture_output=True, timeout=120)
        if r.returncode != 0:
            raise EnvError(f"psql -f {path} failed: {r.stderr.strip()}")

    def pg_stop(self):
        """Stop the PostgreSQL cluster (fast shutdown), as in an outage."""
        self._scripts("pg.sh", "stop", self.base)

    def pg_start(self):
        """Start the cluster again on the same socket; data is kept."""
        self._scripts("pg.sh", "start", self.base, str(self.pg_port),
                      env={"PG_FAST": "1"})

    # ---- error log -----------------------------------------------------------
    def log_mark(self):
        try:
            return os.path.getsize(self.error_log)
        except OSError:
            return 0

    def error_log_lines_since(self, mark):
        try:
            with open(self.error_log, "rb") as f:
                f.seek(mark)
                data = f.read()
        except OSError:
            return []
        return data.decode(errors="replace").splitlines(keepends=True)

    def expect_log(self, pattern):
        """Allow error-log lines matching pattern (a regex, e.g. a log
        number like r"TK00123") for the running test."""
        self._expected.append(re.compile(pattern))

    def expect_child_killed(self, pid):
        """The test kills child pid itself (kill -9): its death notice is
        expected, and nothing else that dies of a signal is."""
        KILLED_PIDS.add(int(pid))

    def take_expected(self):
        exp, self._expected = self._expected, []
        return exp

    @staticmethod
    def bad_log_lines(lines, allowed):
        bad = []
        for line in lines:
            m = LOG_LINE_RE.match(line)
            if CRASH_RE.search(line):
                if not any(f"child pid {pid} exit signal" in line for pid in KILLED_PIDS):
                    bad.append(line.rstrip("\n"))
                continue
            if not m or m.group("level") not in BAD_LEVELS:
                continue
            if any(p.search(line) for p in allowed) or \
                    any(p.search(line) for p in CAPACITY_NOTICES):
                continue
            bad.append(line.rstrip("\n"))
        return bad

    # ---- sanitizers ------------------------------------------------------------
    def sanitizer_reports(self):
        if not self.san_dir:
            return []
        return sorted(glob.glob(os.path.join(self.san_dir, "*")))

    def _collect_sanitizer_reports(self):
        if not self.san_dir or not os.path.isdir(self.san_dir):
            return
        reports = self.sanitizer_reports()
        if reports:
            dest = os.path.join(self.build_dir, "sanitizer-reports")
            os.makedirs(dest, exist_ok=True)
            for f in reports:
                shutil.copy(f, dest)
        shutil.rmtree(self.san_dir, ignore_errors=True)

    # ---- helpers -----------------------------------------------------------------
    def _scripts(self, name, *args, env=None, check=True):
        e = dict(os.environ)
        e["PG_BINDIR"] = self.pg_bindir
        if env:
            e.update(env)
        r = subprocess.run([os.path.join(ROOT, "scripts", name), *args], env=e,
                           text=True, capture_output=True, timeout=300)
        if check and r.returncode != 0:
            raise EnvError(f"scripts/{name} {' '.join(args)} failed:\n{r.stderr}{r.stdout}")
        return r.stdout


def _raise_on_signal(signum, frame):
    # Turn SIGTERM/SIGHUP into an exception so fixtures and atexit clean up.
    raise KeyboardInterrupt(f"signal {signum}")


def install_signal_handlers():
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_on_signal)
