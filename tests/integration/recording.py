"""recording: what the fakes of the tests' outside world share (the
webhook receiver of receiver.py, the language model provider of
llm_server.py): an HTTP server on 127.0.0.1:<free port> in a thread of
the test, a script of the answers it is to give, in order, and the
requests it got, recorded as they arrive, waited for with a timeout.

A subclass names its request handler (an http.server handler that calls
self.server.owner._next(rec) for its answer and _record(rec) on arrival),
the path of its url, and the answer when nothing was scripted."""

import http.server
import socket
import threading
import time


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, owner, handler, port=0):
        self.owner = owner
        self.conns = set()
        self.track = threading.Lock()
        super().__init__(("127.0.0.1", port), handler)

    def process_request(self, request, client_address):
        with self.track:
            self.conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self.track:
            self.conns.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address):
        pass        # a client that gave up (its timeout): nothing to say


class Recording:
    handler = None          # the request handler class
    path = "/"              # of url
    what = "requests"       # in the timeout's message

    def __init__(self, port=0):
        self._port = port               # 0: one the kernel picks
        self._cond = threading.Condition()
        self._records = []
        self._script = []
        self._stopping = threading.Event()
        self._server = None
        self._thread = None
        self.port = None
        self.url = None

    def default_answer(self, rec):
        raise NotImplementedError

    def start(self):
        self._server = Server(self, self.handler, self._port)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}{self.path}"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name=type(self).__name__, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        srv = self._server
        if srv is None:
            return
        self._stopping.set()
        srv.shutdown()
        srv.server_close()
        self._thread.join(5)
        with srv.track:
            conns = list(srv.conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def script(self, *answers):
        """How the next requests are answered, in order (a callable is
        called with the request's record)."""
        with self._cond:
            self._script.extend(answers)

    def _next(self, rec):
        with self._cond:
            a = self._script.pop(0) if self._script else None
        if a is None:
            return self.default_answer(rec)
        return a(rec) if callable(a) else a

    def _wait(self, seconds):
        if seconds:
            self._stopping.wait(seconds)

    def _record(self, rec):
        with self._cond:
            self._records.append(rec)
            self._cond.notify_all()

    def records(self):
        with self._cond:
            return list(self._records)

    def clear(self):
        with self._cond:
            self._records.clear()
            self._script.clear()

    def wait_for(self, n, timeout=15):
        """The first n records, once there are n (AssertionError after
        timeout seconds)."""
        deadline = time.time() + timeout
        with self._cond:
            while len(self._records) < n:
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError(f"{len(self._records)} of {n} {self.what} came")
                self._cond.wait(left)
            return list(self._records[:n])
