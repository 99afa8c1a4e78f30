"""receiver: a webhook subscriber, as the integration tests and the
benchmark see one.

- Receiver: an HTTP server on 127.0.0.1:<free port> that takes POSTs at any
  path, records each (headers, exact body bytes, arrival time) and answers
  200 at once, unless told otherwise: queue() sets how the next ones are
  answered (a status with headers, a delay before the answer).
- verify(secret, headers, body): the Standard Webhooks check a receiver
  makes, written here from the specification alone (no code of the
  module): the secret's bytes are the base64 after "whsec_", the signed
  content is "<webhook-id>.<webhook-timestamp>.<body>", HMAC-SHA256, and
  webhook-signature holds space-separated "v1,<base64>" of which one must
  match, compared in constant time.  Returns the versions that matched.

    with Receiver() as rx:
        rx.queue((500, {}, 0))          # the next delivery gets a 500
        ... subscribe rx.url, make a change ...
        first, = rx.wait_for(1)
"""

import base64
import hashlib
import hmac
import http.server
import time

from requests.structures import CaseInsensitiveDict

from recording import Recording


def signature_of(secret, msg_id, timestamp, body):
    """The v1 signature (base64) of a message under secret."""
    assert secret.startswith("whsec_"), secret
    key = base64.b64decode(secret[len("whsec_"):], validate=True)
    content = f"{msg_id}.{timestamp}.".encode() + body
    return base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


def verify(secret, headers, body, tolerance=300, now=None):
    """True when headers carry a v1 signature of body under secret and a
    timestamp within tolerance seconds of now."""
    msg_id = headers.get("webhook-id")
    ts = headers.get("webhook-timestamp")
    sigs = headers.get("webhook-signature", "")
    if not msg_id or not ts or not ts.isdigit():
        return False
    if now is not None and abs(int(ts) - now) > tolerance:
        return False
    want = signature_of(secret, msg_id, ts, body)
    for part in sigs.split(" "):
        version, _, sig = part.partition(",")
        if version == "v1" and hmac.compare_digest(sig, want):
            return True
    return False


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n > 0 else b""
        rec = {"path": self.path, "headers": CaseInsensitiveDict(self.headers.items()),
               "body": body, "time": time.time(), "status": None}
        status, headers, delay = self.server.owner._next(rec)
        self.server.owner._record(rec)        # on arrival, before any delay
        self.server.owner._wait(delay)
        rec["status"] = status
        data = b'{"ok": true}' if status < 300 else b"no"
        try:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, str(v))
            if "Content-Length" in headers:
                self.close_connection = True    # a body cut short
            else:
                self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            pass


class Receiver(Recording):
    """Records every POST; answers 200 unless queue() said otherwise.

    Each record is a dict: path, headers (case-insensitive), body (bytes),
    time (arrival), status (what was answered; None until the answer
    goes, after its delay)."""

    handler = _Handler
    path = "/hook"
    what = "deliveries"

    def default_answer(self, rec):
        return (200, {}, 0)

    def queue(self, *outcomes):
        """How the next deliveries are answered: (status, headers, delay)."""
        self.script(*outcomes)
