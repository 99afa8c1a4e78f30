"""platforms: the four chat platforms, as the integration tests see them.

- FakePlatform: an HTTP server on 127.0.0.1 that answers the send APIs of
  Facebook (Graph /{version}/me/messages), Zalo (/v3.0/oa/message/cs),
  TikTok (/open_api/v1.3/business/message/send/) and Discord
  (/api/v10/channels/{id}/messages) at paths under its base URL, so that a
  channel whose apiBase is `fake.base` sends to it.  It checks each request
  as the platform does (token, JSON shape) and answers the platform's own
  error when it is wrong, records every request, and can be told how to
  answer the next ones (an error, a rate limit, no answer, a closed
  connection) or to hold its answers until released.
- Signers of inbound webhooks: facebook_signature, zalo_signature,
  tiktok_signature, DiscordKey.
- Delivery builders: the bodies and headers the platforms POST to our
  webhooks (facebook_delivery, zalo_delivery, tiktok_delivery,
  discord_interaction, discord_ticket_command, discord_ping).
- fixture(name): a documented body from tests/fixtures/platforms/.

    with FakePlatform() as fake:
        fake.tokens = {"discord": "bot-token"}
        fake.rate_limit(0.5)                 # the next send gets a 429
        ... configure a channel with apiBase fake.base, make it reply ...
        first, second = fake.wait_for(2)

Errors are answered the way each platform answers them: Facebook and
Discord with a 4xx status, Zalo and TikTok with HTTP 200 and an error code
in the body ({"error": -216, ...}, {"code": 40105, ...}).
"""

import base64
import copy
import hashlib
import hmac
import http.server
import json
import math
import os
import re
import secrets
import socket
import threading
import time
import urllib.parse

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from requests.structures import CaseInsensitiveDict

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "platforms")

PLATFORMS = ("facebook", "zalo", "tiktok", "discord")
MAX_TEXT = {"facebook": 2000, "zalo": 2000, "discord": 2000}
DISCORD_EPOCH_MS = 1420070400000

_FACEBOOK_RE = re.compile(r"^/(v[0-9]+\.[0-9]+)/me/messages$")
_ZALO_PATH = "/v3.0/oa/message/cs"
_TIKTOK_PATH = "/open_api/v1.3/business/message/send/"
_DISCORD_RE = re.compile(r"^/api/v10/channels/([^/]+)/messages$")


def _now_ms():
    return int(time.time() * 1000)


_snowflake_lock = threading.Lock()
_snowflake_seq = [0]


def snowflake():
    """A Discord snowflake (decimal string) for the current time."""
    with _snowflake_lock:
        _snowflake_seq[0] = (_snowflake_seq[0] + 1) & 0xFFF
        seq = _snowflake_seq[0]
    return str(((_now_ms() - DISCORD_EPOCH_MS) << 22) | (1 << 17) | seq)


def _json_bytes(obj, ascii_only=False):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=ascii_only).encode()


# ---- what each platform answers ---------------------------------------------

def _facebook_error(code, message, subcode=None, transient=None):
    err = {"message": message, "type": "OAuthException", "code": code}
    if subcode is not None:
        err["error_subcode"] = subcode
    if transient is not None:
        err["is_transient"] = transient
    err["fbtrace_id"] = base64.urlsafe_b64encode(os.urandom(8)).decode().rstrip("=")
    return {"error": err}


def _tiktok_body(code, message, data=None):
    rid = time.strftime("%Y%m%d%H%M%S") + secrets.token_hex(9).upper()
    return {"code": code, "message": message, "request_id": rid,
            "data": {} if data is None else data}


def _discord_form_error(field, code, message):
    return {"message": "Invalid Form Body", "code": 50035,
            "errors": {field: {"_errors": [{"code": code, "message": message}]}}}


def _server_error_body(platform):
    if platform == "facebook":
        return _facebook_error(2, "An unexpected error has occurred. Please retry your "
                               "request later.", transient=True)
    if platform == "zalo":
        return {"error": -1, "message": "Internal server error"}
    if platform == "tiktok":
        return _tiktok_body(50000, "Internal service error. Please retry later.")
    if platform == "discord":
        return {"message": "500: Internal Server Error", "code": 0}
    return {"error": "internal server error"}


def _rate_limit_body(platform, seconds):
    if platform == "facebook":
        return _facebook_error(4, "(#4) Application request limit reached", transient=True)
    if platform == "zalo":
        return {"error": -32, "message": "Exceeded the rate limit"}
    if platform == "tiktok":
        return _tiktok_body(40100, "Too many requests. Please retry in some time.")
    if platform == "discord":
        return {"message": "You are being rate limited.", "retry_after": seconds,
                "global": False}
    return {"error": "rate limited", "retry_after": seconds}


def _facebook_check(token_expected, query, headers, body):
    """None when Graph would take the send, else (status, body)."""
    token = query.get("access_token")
    auth = headers.get("Authorization", "")
    if token is None and auth.startswith("Bearer "):
        token = auth[7:]
    if not token:
        return 400, _facebook_error(2500, "An active access token must be used to query "
                                    "information about the current user.")
    if token_expected is not None and token != token_expected:
        return 400, _facebook_error(190, "Invalid OAuth access token - Cannot parse "
                                    "access token")
    if not isinstance(body, dict):
        return 400, _facebook_error(100, "(#100) The parameter recipient is required")
    rcpt = body.get("recipient")
    if not isinstance(rcpt, dict) or not isinstance(rcpt.get("id"), str) or not rcpt["id"]:
        return 400, _facebook_error(100, "(#100) The parameter recipient is required")
    if body.get("messaging_type") not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
        return 400, _facebook_error(100, "(#100) param messaging_type must be one of "
                                    "{RESPONSE, UPDATE, MESSAGE_TAG}")
    msg = body.get("message")
    if not isinstance(msg, dict) or not isinstance(msg.get("text"), str) or not msg["text"]:
        return 400, _facebook_error(100, "(#100) The parameter message[text] is required")
    if len(msg["text"]) > MAX_TEXT["facebook"]:
        return 400, _facebook_error(100, "(#100) Length of param message[text] must be "
                                    "less than or equal to 2000")
    return None


def _zalo_check(token_expected, headers, body):
    token = headers.get("access_token")
    if not token or (token_expected is not None and token != token_expected):
        return 200, {"error": -216, "message": "Access token is invalid"}
    if not isinstance(body, dict):
        return 200, {"error": -201, "message": "Body is invalid"}
    rcpt = body.get("recipient")
    if not isinstance(rcpt, dict) or not isinstance(rcpt.get("user_id"), str) \
            or not rcpt["user_id"]:
        return 200, {"error": -201, "message": "user_id is invalid"}
    msg = body.get("message")
    if not isinstance(msg, dict) or not isinstance(msg.get("text"), str) or not msg["text"]:
        return 200, {"error": -201, "message": "message is invalid"}
    if len(msg["text"]) > MAX_TEXT["zalo"]:
        return 200, {"error": -201, "message": "text is too long"}
    return None


def _tiktok_check(token_expected, headers, body):
    token = headers.get("Access-Token")
    if not token:
        return 200, _tiktok_body(40104, "Access token is empty.")
    if token_expected is not None and token != token_expected:
        return 200, _tiktok_body(40105, "Access token is incorrect or has been revoked.")
    if not isinstance(body, dict):
        return 200, _tiktok_body(40002, "Invalid JSON body.")
    for field in ("business_id", "recipient"):
        if not isinstance(body.get(field), str) or not body[field]:
            return 200, _tiktok_body(40002, f"{field}: Missing data for required field.")
    if body.get("recipient_type") != "CONVERSATION":
        return 200, _tiktok_body(40002, "recipient_type: Must be one of: CONVERSATION.")
    if body.get("message_type") != "TEXT":
        return 200, _tiktok_body(40002, "message_type: Must be one of: TEXT, IMAGE, "
                                 "SHARE_POST, TEMPLATE.")
    text = body.get("text")
    if not isinstance(text, dict) or not isinstance(text.get("body"), str) or not text["body"]:
        return 200, _tiktok_body(40002, "text.body: Missing data for required field.")
    return None


def _discord_check(token_expected, channel_id, headers, body):
    auth = headers.get("Authorization", "")
    if not auth.startswith("Bot ") or not auth[4:] or \
            (token_expected is not None and auth[4:] != token_expected):
        return 401, {"message": "401: Unauthorized", "code": 0}
    if not channel_id.isdigit():
        return 400, {"message": "Invalid Form Body", "code": 50035,
                     "errors": {"channel_id": {"_errors": [{
                         "code": "NUMBER_TYPE_COERCE",
                         "message": f"Value \"{channel_id}\" is not snowflake."}]}}}
    if not isinstance(body, dict):
        return 400, {"message": "Cannot send an empty message", "code": 50006}
    content = body.get("content")
    if content is not None and not isinstance(content, str):
        return 400, _discord_form_error("content", "STRING_TYPE_CONVERT",
                                        "Could not interpret the value as a string.")
    if not content or not content.strip():
        return 400, {"message": "Cannot send an empty message", "code": 50006}
    if len(content) > MAX_TEXT["discord"]:
        return 400, _discord_form_error("content", "BASE_TYPE_MAX_LENGTH",
                                        "Must be 2000 or fewer in length.")
    return None


def _success(platform, record, fake):
    body = record["json"]
    if platform == "facebook":
        mid = "m_" + base64.urlsafe_b64encode(os.urandom(45)).decode()
        return {"recipient_id": body["recipient"]["id"], "message_id": mid}
    if platform == "zalo":
        return {"data": {"message_id": secrets.token_hex(16),
                         "user_id": body["recipient"]["user_id"]},
                "error": 0, "message": "Success"}
    if platform == "tiktok":
        mid = base64.b64encode(os.urandom(18)).decode()
        return _tiktok_body(0, "OK", {"message": {"message_id": mid}})
    # discord: the created message object
    return {"id": snowflake(), "type": 0, "content": body["content"],
            "channel_id": record["channel_id"],
            "author": {"id": fake.discord_bot_id, "username": "tickets", "avatar": None,
                       "discriminator": "0000", "public_flags": 0, "flags": 0,
                       "bot": True, "global_name": None},
            "attachments": [], "embeds": [], "mentions": [], "mention_roles": [],
            "pinned": False, "mention_everyone": False, "tts": False,
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000000+00:00", time.gmtime()),
            "edited_timestamp": None, "flags": 0, "components": []}


# ---- the server ----------------------------------------------------------------

# name: (least, most) length of the tuple
_OUTCOMES = {"status": (2, 4), "hang": (2, 2), "close": (1, 1),
             "500": (1, 1), "429": (3, 3)}


def _check_outcome(o):
    if not isinstance(o, tuple) or not o or o[0] not in _OUTCOMES:
        raise ValueError(f"not an outcome: {o!r}")
    lo, hi = _OUTCOMES[o[0]]
    if not lo <= len(o) <= hi:
        raise ValueError(f"outcome {o[0]!r} takes {lo - 1} to {hi - 1} values: {o!r}")
    return o


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, fake):
        self.fake = fake
        self.threads = set()
        self.conns = set()
        self.track = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request, client_address):
        t = threading.Thread(target=self.process_request_thread,
                             args=(request, client_address), daemon=True,
                             name=f"fake-platform-{client_address[1]}")
        with self.track:
            self.threads.add(t)
            self.conns.add(request)
        t.start()

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.track:
                self.threads.discard(threading.current_thread())

    def shutdown_request(self, request):
        with self.track:
            self.conns.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address):
        pass        # a client that went away (killed child, timeout): nothing to say


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakePlatform/1.0"
    timeout = 60            # an idle keep-alive connection ends after this
    # Answers go out at once: with Nagle's algorithm, a header written apart
    # from its body waits for the peer's delayed ACK (40 ms a request).
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        self.server.fake._serve(self)

    do_GET = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_POST

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def answer(self, status, body, headers=None):
        if body is None:
            data = b""
        elif isinstance(body, bytes):
            data = body
        elif isinstance(body, str):
            data = body.encode()
        else:
            data = _json_bytes(body)
        self.send_response(status)
        h = CaseInsensitiveDict(headers or {})
        if data and "Content-Type" not in h:
            h["Content-Type"] = "application/json; charset=UTF-8"
        h["Content-Length"] = str(len(data))
        for k, v in h.items():
            self.send_header(k, str(v))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()


class FakePlatform:
    """The four platforms' send APIs on 127.0.0.1:<free port> (see the
    module's docstring).  Attributes:

      base       "http://127.0.0.1:PORT", what a channel's apiBase is set to
      tokens     {platform: expected token}; a platform absent from it takes
                 any non-empty token
      discord_bot_id   the author id of the messages Discord answers with

    Each record (requests(), wait_for()) is a dict: method, path, query
    (name -> value, or a list when repeated), headers (case-insensitive),
    body (bytes), json (parsed, or None), time, platform (None for an
    unknown path), channel_id (Discord), problem (None, or why the platform
    refused the request: missing token, bad JSON...), outcome (what was
    done: "ok", "status", "hang", "close", "500", "429", "refused",
    "not found") and status (the HTTP status answered, None for no answer).
    """

    def __init__(self):
        self.tokens = {}
        self.discord_bot_id = snowflake()
        self._server = None
        self._thread = None
        self._cond = threading.Condition()
        self._records = []
        self._queue = []            # [(platform or None, outcome)]
        self._gate = threading.Event()
        self._gate.set()
        self._stopping = threading.Event()
        self.port = None
        self.base = None

    # ---- lifecycle ----
    def start(self):
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server(self)
        self.port = self._server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="fake-platform", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stop serving; end held and hanging answers, close every
        connection and join every thread of the server."""
        srv = self._server
        if srv is None:
            return
        self._stopping.set()
        self._gate.set()
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
        deadline = time.time() + 5
        while True:
            with srv.track:
                threads = list(srv.threads)
            if not threads or time.time() > deadline:
                break
            for t in threads:
                t.join(max(0.0, deadline - time.time()))
        with srv.track:
            left = list(srv.conns)
        for c in left:
            try:
                c.close()
            except OSError:
                pass
        self._server = None
        self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- the record ----
    def requests(self, platform=None):
        """Copies of the records, oldest first; of one platform when given."""
        with self._cond:
            return [copy.deepcopy(r) for r in self._records
                    if platform is None or r["platform"] == platform]

    def wait_for(self, n, timeout=10, platform=None):
        """Wait until n requests (of platform, when given) have arrived;
        their records.  AssertionError when they do not in time."""
        deadline = time.time() + timeout
        with self._cond:
            while True:
                got = [r for r in self._records
                       if platform is None or r["platform"] == platform]
                if len(got) >= n:
                    return [copy.deepcopy(r) for r in got]
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError(
                        f"{len(got)} of {n} requests{' to ' + platform if platform else ''}"
                        f" arrived in {timeout}s: "
                        + ", ".join(f"{r['method']} {r['path']}" for r in got))
                self._cond.wait(left)

    def texts(self, platform=None):
        """The texts of the well-formed sends (those the platform did not
        refuse), oldest first, whatever they were answered."""
        pick = {"facebook": lambda j: j["message"]["text"],
                "zalo": lambda j: j["message"]["text"],
                "tiktok": lambda j: j["text"]["body"],
                "discord": lambda j: j["content"]}
        return [pick[r["platform"]](r["json"]) for r in self.requests(platform)
                if r["platform"] and r["problem"] is None
                and r["outcome"] not in ("refused", "not found")]

    def clear(self):
        """Forget the records and the queued outcomes."""
        with self._cond:
            self._records.clear()
            self._queue.clear()

    # ---- outcomes ----
    def queue(self, *outcomes, platform=None):
        """The answers to the next requests, one each, in order (requests the
        platform refuses or that go to an unknown path take none):
          ("status", code[, body[, headers]])  body: dict/list (JSON), str or
              bytes (as is), None (empty), or a function of the platform name
          ("hang", seconds)   read the request, answer nothing for that long,
                              then close the connection
          ("close",)          close the connection without an answer
          ("500",)            500 with the platform's body (fail_with_500)
          ("429", seconds, header)   see rate_limit
        With platform, only requests to that platform take them."""
        if platform is not None and platform not in PLATFORMS:
            raise ValueError(f"unknown platform {platform!r}")
        checked = [_check_outcome(o) for o in outcomes]
        with self._cond:
            self._queue.extend((platform, o) for o in checked)

    def pending(self):
        """How many queued outcomes no request has taken yet."""
        with self._cond:
            return len(self._queue)

    def fail_with_500(self, times=1, platform=None):
        self.queue(*[("500",)] * times, platform=platform)

    def rate_limit(self, retry_after_seconds, times=1, platform=None, header=None):
        """429 with Retry-After (delay-seconds, rounded up, as Discord sends
        it; `header` for another value) and the platform's body; Discord's
        has retry_after with the exact seconds."""
        if header is None:
            header = str(max(0, math.ceil(retry_after_seconds)))
        self.queue(*[("429", retry_after_seconds, str(header))] * times, platform=platform)

    def facebook_error(self, code, message, status=400, subcode=None, times=1):
        body = lambda _p: _facebook_error(code, message, subcode)      # noqa: E731
        self.queue(*[("status", status, body)] * times, platform="facebook")

    def zalo_error(self, code, message, times=1):
        self.queue(*[("status", 200, {"error": code, "message": message})] * times,
                   platform="zalo")

    def tiktok_error(self, code, message, times=1):
        body = lambda _p: _tiktok_body(code, message)                  # noqa: E731
        self.queue(*[("status", 200, body)] * times, platform="tiktok")

    def hold(self):
        """From now on, answers wait (the request is recorded first) until
        release() or stop()."""
        self._gate.clear()

    def release(self):
        self._gate.set()

    # ---- serving (on the handler's thread) ----
    def _take(self, platform):
        for i, (p, o) in enumerate(self._queue):
            if p is None or p == platform:
                del self._queue[i]
                return o
        return None

    @staticmethod
    def _classify(path):
        """(platform or None, Discord's channel id or None)"""
        m = _FACEBOOK_RE.match(path)
        if m:
            return "facebook", None
        if path == _ZALO_PATH:
            return "zalo", None
        if path == _TIKTOK_PATH:
            return "tiktok", None
        m = _DISCORD_RE.match(path)
        if m:
            return "discord", urllib.parse.unquote(m.group(1))
        return None, None

    def _serve(self, h):
        raw = h.read_body()
        url = urllib.parse.urlsplit(h.path)
        query = {}
        for k, v in urllib.parse.parse_qsl(url.query, keep_blank_values=True):
            if k in query:
                query[k] = (query[k] if isinstance(query[k], list) else [query[k]]) + [v]
            else:
                query[k] = v
        headers = CaseInsensitiveDict(h.headers.items())
        parsed = None
        ctype = headers.get("Content-Type", "").split(";")[0].strip().lower()
        if raw:
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = None
        platform, channel_id = self._classify(url.path)
        rec = {"method": h.command, "path": url.path, "query": query, "headers": headers,
               "body": raw, "json": parsed, "time": time.time(), "platform": platform,
               "channel_id": channel_id, "problem": None, "outcome": None, "status": None}

        refusal = None
        if platform is None:
            refusal = (404, {"error": {"message": f"no such path: {url.path}",
                                       "code": 404}}, "not found")
        elif h.command != "POST":
            refusal = (405, {"error": {"message": f"{h.command} is not allowed here",
                                       "code": 405}}, "not found")
        else:
            body = parsed if ctype == "application/json" else None
            tok = self.tokens.get(platform)
            if platform == "facebook":
                bad = _facebook_check(tok, query, headers, body)
            elif platform == "zalo":
                bad = _zalo_check(tok, headers, body)
            elif platform == "tiktok":
                bad = _tiktok_check(tok, headers, body)
            else:
                bad = _discord_check(tok, channel_id, headers, body)
            if bad is not None:
                refusal = (bad[0], bad[1], "refused")
                if ctype != "application/json" and raw:
                    rec["problem"] = f"Content-Type is {ctype or 'missing'}, not application/json"
                else:
                    rec["problem"] = _problem_text(bad[1])

        with self._cond:
            outcome = None if refusal else self._take(platform)
            self._records.append(rec)
            self._cond.notify_all()

        while not self._gate.wait(0.05):
            if self._stopping.is_set():
                break
        if self._stopping.is_set():
            self._finish(rec, "close", None)
            h.close_connection = True
            return

        if refusal:
            self._finish(rec, refusal[2], refusal[0])
            h.answer(refusal[0], refusal[1])
            return
        if outcome is None:
            self._finish(rec, "ok", 200)
            h.answer(200, _success(platform, rec, self))
            return
        kind = outcome[0]
        if kind == "close":
            self._finish(rec, "close", None)
            h.close_connection = True
            return
        if kind == "hang":
            self._finish(rec, "hang", None)
            self._stopping.wait(outcome[1])
            h.close_connection = True
            return
        if kind == "500":
            self._finish(rec, kind, 500)
            h.answer(500, _server_error_body(platform))
            return
        if kind == "429":
            self._finish(rec, kind, 429)
            hdrs = {"Retry-After": outcome[2]}
            if platform == "discord":
                hdrs.update({"X-RateLimit-Scope": "user", "X-RateLimit-Global": "false"})
            h.answer(429, _rate_limit_body(platform, outcome[1]), hdrs)
            return
        status = outcome[1]
        body = outcome[2] if len(outcome) > 2 else None
        if callable(body):
            body = body(platform)
        self._finish(rec, "status", status)
        h.answer(status, body, outcome[3] if len(outcome) > 3 else None)

    def _finish(self, rec, outcome, status):
        with self._cond:
            rec["outcome"] = outcome
            rec["status"] = status
            self._cond.notify_all()


def _problem_text(body):
    if "error" in body and isinstance(body["error"], dict):
        return f"{body['error']['code']}: {body['error']['message']}"
    if "error" in body:
        return f"{body['error']}: {body['message']}"
    return f"{body.get('code')}: {body.get('message')}"


# ---- signatures of inbound webhooks ------------------------------------------

def _b(v):
    return v if isinstance(v, bytes) else str(v).encode()


def facebook_signature(app_secret, body):
    """X-Hub-Signature-256: "sha256=" + hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(_b(app_secret), _b(body), hashlib.sha256).hexdigest()


def facebook_signature_sha1(app_secret, body):
    """X-Hub-Signature, the older header Facebook still sends beside it."""
    return "sha1=" + hmac.new(_b(app_secret), _b(body), hashlib.sha1).hexdigest()


def zalo_signature(app_id, body, timestamp, oa_secret_key):
    """X-ZEvent-Signature: "mac=" + hex SHA-256 (no HMAC) of app_id, the
    body, its timestamp field and the OA secret key, one after the other."""
    data = _b(app_id) + _b(body) + _b(timestamp) + _b(oa_secret_key)
    return "mac=" + hashlib.sha256(data).hexdigest()


def tiktok_signature(client_secret, body, t):
    """Tiktok-Signature: "t=<t>,s=" + hex HMAC-SHA256 of "<t>.<body>"."""
    s = hmac.new(_b(client_secret), _b(int(t)) + b"." + _b(body), hashlib.sha256)
    return f"t={int(t)},s={s.hexdigest()}"


class DiscordKey:
    """An application's Ed25519 key: Discord signs timestamp + body with
    the private half; we configure the public half (public_hex)."""

    def __init__(self, secret=None):
        """secret: the 32-byte private key (default: a new one)."""
        self._key = (Ed25519PrivateKey.from_private_bytes(secret) if secret is not None
                     else Ed25519PrivateKey.generate())
        self.public_bytes = self._key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.public_hex = self.public_bytes.hex()

    def sign(self, timestamp, body):
        """X-Signature-Ed25519: hex of the signature of timestamp + body."""
        return self._key.sign(_b(timestamp) + _b(body)).hex()


# ---- headers for a body ---------------------------------------------------------

def facebook_headers(app_secret, body):
    return {"Content-Type": "application/json",
            "X-Hub-Signature": facebook_signature_sha1(app_secret, body),
            "X-Hub-Signature-256": facebook_signature(app_secret, body)}


def zalo_headers(body, oa_secret_key, app_id=None, timestamp=None):
    """app_id and timestamp default to the body's own fields."""
    if app_id is None or timestamp is None:
        j = json.loads(body)
        app_id = j["app_id"] if app_id is None else app_id
        timestamp = j["timestamp"] if timestamp is None else timestamp
    return {"Content-Type": "application/json",
            "X-ZEvent-Signature": zalo_signature(app_id, body, str(timestamp), oa_secret_key)}


def tiktok_headers(client_secret, body, t=None):
    t = int(time.time()) if t is None else int(t)
    return {"Content-Type": "application/json",
            "Tiktok-Signature": tiktok_signature(client_secret, body, t)}


def discord_headers(key, body, timestamp=None):
    ts = str(int(time.time())) if timestamp is None else str(timestamp)
    return {"Content-Type": "application/json",
            "X-Signature-Ed25519": key.sign(ts, body),
            "X-Signature-Timestamp": ts}


# ---- deliveries: (body bytes, headers) ---------------------------------------------

def facebook_delivery(page_id, psid, mid, text, app_secret, echo=False, extra_entries=(),
                      timestamp=None, app_id=None):
    """A messages (or, with echo, message_echoes) webhook of one text
    message; extra_entries are appended to entry as they are.  Facebook
    writes non-ASCII as \\u escapes of four hex digits and signs that."""
    ts = _now_ms() if timestamp is None else int(timestamp)
    message = {"mid": mid, "text": text}
    if echo:
        message = {"is_echo": True, **({"app_id": int(app_id)} if app_id else {}), **message}
        sender, recipient = page_id, psid
    else:
        sender, recipient = psid, page_id
    body = {"object": "page", "entry": [
        {"id": str(page_id), "time": ts + 200,
         "messaging": [{"sender": {"id": str(sender)}, "recipient": {"id": str(recipient)},
                        "timestamp": ts, "message": message}]},
        *extra_entries]}
    raw = _json_bytes(body, ascii_only=True)
    return raw, facebook_headers(app_secret, raw)


def zalo_delivery(app_id, oa_id, user_id, msg_id, text, oa_secret_key,
                  event_name="user_send_text", timestamp=None, user_id_by_app=None):
    """A Zalo OA event; follow/unfollow take the follower shape, the others
    the sender/recipient/message one.  timestamp: ms (a string in the body)."""
    ts = str(_now_ms() if timestamp is None else timestamp)
    if event_name in ("follow", "unfollow"):
        body = {"oa_id": str(oa_id), "follower": {"id": str(user_id)},
                "user_id_by_app": str(user_id_by_app or user_id), "event_name": event_name,
                "source": "oa_profile", "app_id": str(app_id), "timestamp": ts}
    else:
        body = {"app_id": str(app_id), "sender": {"id": str(user_id)},
                "user_id_by_app": str(user_id_by_app or user_id),
                "recipient": {"id": str(oa_id)}, "event_name": event_name,
                "message": {"text": text, "msg_id": msg_id}, "timestamp": ts}
    raw = _json_bytes(body)
    return raw, zalo_headers(raw, oa_secret_key, app_id=str(app_id), timestamp=ts)


def tiktok_delivery(client_key, business_id, user_id, conversation_id, message_id, text,
                    client_secret, t=None, event="im_receive_msg"):
    """A Business Messaging event: the envelope, with content a JSON string."""
    t = int(time.time()) if t is None else int(t)
    if event == "im_send_msg":
        frm, to = business_id, user_id
    else:
        frm, to = user_id, business_id
    content = {"conversation_id": conversation_id, "message_id": message_id, "type": "text",
               "text": {"body": text}, "timestamp": t * 1000 + 123,
               "from_user": {"id": frm}, "to_user": {"id": to}}
    body = {"client_key": client_key, "event": event, "create_time": t,
            "user_openid": business_id, "content": json.dumps(content, ensure_ascii=False)}
    raw = _json_bytes(body)
    return raw, tiktok_headers(client_secret, raw, t)


def discord_interaction(key, body_dict, timestamp=None):
    raw = body_dict if isinstance(body_dict, bytes) else _json_bytes(body_dict)
    return raw, discord_headers(key, raw, timestamp)


def discord_ping(key, application_id, timestamp=None):
    body = {"application_id": str(application_id), "id": snowflake(),
            "token": "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48), "type": 1,
            "user": {"id": snowflake(), "username": "discord", "avatar": None,
                     "discriminator": "0000", "public_flags": 1 << 12,
                     "global_name": "Discord", "system": True},
            "version": 1}
    return discord_interaction(key, body, timestamp)


def discord_ticket_command(key, application_id, guild_id, channel_id, user_id, username,
                           subcommand, subject=None, description=None, global_name=None,
                           timestamp=None):
    """/ticket <subcommand> [subject] [description] as a type-2 interaction;
    guild_id None: sent in a DM (user instead of member)."""
    options = []
    if subject is not None:
        options.append({"name": "subject", "type": 3, "value": subject})
    if description is not None:
        options.append({"name": "description", "type": 3, "value": description})
    sub = {"type": 1, "name": subcommand}
    if options:
        sub["options"] = options
    user = {"id": str(user_id), "username": username, "avatar": None, "discriminator": "0",
            "public_flags": 0, "global_name": global_name}
    body = {"id": snowflake(), "application_id": str(application_id), "type": 2}
    if guild_id is not None:
        body["guild_id"] = str(guild_id)
    body["channel_id"] = str(channel_id)
    body["data"] = {"id": snowflake(), "name": "ticket", "type": 1, "options": [sub]}
    if guild_id is not None:
        body["member"] = {"user": user, "roles": [], "nick": None,
                          "permissions": "2248473465835073", "joined_at": "2024-01-15T10:00:00.000000+00:00", "deaf": False,
                          "mute": False, "pending": False, "flags": 0}
    else:
        body["user"] = user
    body.update({"locale": "en-US", "app_permissions": "2248473465835073",
                 "token": "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48), "version": 1})
    return discord_interaction(key, body, timestamp)


# ---- fixtures -----------------------------------------------------------------

def fixture(name):
    """The bytes of tests/fixtures/platforms/<name> (".json" may be left off)."""
    path = os.path.join(FIXTURES, name)
    if not os.path.exists(path) and not name.endswith(".json"):
        path += ".json"
    with open(path, "rb") as f:
        return f.read()


def fixtures(platform=None):
    """The names of the fixtures there (of one platform when given)."""
    try:
        names = sorted(os.listdir(FIXTURES))
    except FileNotFoundError:
        return []
    return [n for n in names if n.endswith(".json")
            and (platform is None or n.startswith(platform + "-"))]
