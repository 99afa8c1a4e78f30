"""llm_server: a scripted OpenAI-compatible provider, as the AI tests see
one.

An HTTP server on 127.0.0.1:<free port> that takes POST /v1/chat/completions
as the OpenAI Chat Completions API defines it, records each request
(headers, the JSON body) on arrival, and answers what the test scripted,
in order:

    with Provider() as llm:
        llm.script(llm.json_answer({"summary": ...}),      # a 200 with content
                   llm.error(429, "rate_limit_exceeded", headers={"retry-after-ms": "200"}),
                   llm.tool_calls([("get_ticket", '{"ticket_id": 47}')]),
                   {"status": 500, "body": b"oops"},         # raw
                   {"delay": 3, ...})                        # after a wait
        ... make the module call it ...
        req, = llm.wait_for(1)

With nothing scripted it answers 200 with the text "OK" (a chat answer),
so a test that does not care what is said need not script anything.
Answers carry usage unless the script says "usage": None, and an "id"
unless "id": None: real servers (Ollama, llama.cpp) omit either.
"""

import contextlib
import http.server
import json
import os
import time

import pytest
from requests.structures import CaseInsensitiveDict

from recording import Recording


def _completion(message, usage=(10, 5), ident="chatcmpl-test", finish="stop"):
    body = {"object": "chat.completion", "created": int(time.time()), "model": "test-model",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}]}
    if ident is not None:
        body["id"] = ident
    if usage is not None:
        body["usage"] = {"prompt_tokens": usage[0], "completion_tokens": usage[1],
                         "total_tokens": usage[0] + usage[1]}
    return body


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60

    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n > 0 else b""
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        rec = {"path": self.path, "headers": CaseInsensitiveDict(self.headers.items()),
               "raw": raw, "body": body, "time": time.time()}
        answer = self.server.owner._next(rec)
        self.server.owner._record(rec)        # on arrival, before any delay
        self.server.owner._wait(answer.get("delay"))
        if self.path != "/v1/chat/completions":
            answer = {"status": 404, "body": {"error": {"message": "no such path"}}}
        data = answer.get("body", b"")
        if not isinstance(data, bytes):
            data = json.dumps(data).encode()
        try:
            self.send_response(answer.get("status", 200))
            for k, v in answer.get("headers", {}).items():
                self.send_header(k, str(v))
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
            rec["done"] = time.time()           # the provider's own time ends
        except OSError:
            pass


class Provider(Recording):
    handler = _Handler
    path = "/v1"

    def default_answer(self, rec):
        return self.text("OK")

    # ---- answers ----------------------------------------------------------

    @staticmethod
    def text(content, usage=(10, 5), ident="chatcmpl-test"):
        return {"status": 200, "body": _completion({"role": "assistant", "content": content},
                                                   usage, ident)}

    @classmethod
    def json_answer(cls, doc, **kw):
        return cls.text(json.dumps(doc), **kw)

    @staticmethod
    def tool_calls(calls, usage=(10, 5), content=None):
        """calls: [(name, arguments)], arguments a string or an object;
        ids call_0, call_1, ... (None as a third item: no id)."""
        tcs = []
        for i, call in enumerate(calls):
            tc = {"type": "function", "function": {"name": call[0], "arguments": call[1]}}
            if len(call) < 3 or call[2] is not None:
                tc["id"] = call[2] if len(call) > 2 else f"call_{i}"
            tcs.append(tc)
        return {"status": 200, "body": _completion(
            {"role": "assistant", "content": content, "tool_calls": tcs}, usage,
            finish="tool_calls")}

    @staticmethod
    def error(status, code=None, message="scripted failure", headers=None, etype=None):
        return {"status": status, "headers": headers or {},
                "body": {"error": {"message": message, "type": etype or "test", "code": code}}}

    def left(self):
        """Answers scripted and not yet given."""
        with self._cond:
            return len(self._script)


# ---- a test module's instance, pointed at a provider ------------------------

LEASE = 8
KEY = "sk-test-" + "k1" * 20


def conf(url, keyfile, timeout=4, extra=""):
    """The instance's directives for a provider at url (leases short, as
    the tests' jobs need)."""
    return (f"TicketsJobLease {LEASE}\nTicketsJobPollInterval 1\nTicketsHttpTimeout 5\n"
            f"TicketsWebhookTimeout 5\n"
            f"TicketsLLMEndpoint {url}\nTicketsLLMModel test-model\n"
            f"TicketsLLMKeyFile {keyfile}\nTicketsLLMTimeout {timeout}\n"
            f"TicketsLLMAttempts 3\n{extra}")


@contextlib.contextmanager
def configured(env, tmp_path_factory, extra=""):
    """A provider, and env restarted to use it (p.conf, p.keyfile); env
    restarted without it after."""
    keyfile = tmp_path_factory.mktemp("llm") / "key"
    keyfile.write_text(KEY + "\n")
    os.chmod(keyfile, 0o600)
    with Provider() as p:
        p.keyfile = str(keyfile)
        p.conf = conf(p.url, keyfile, extra=extra)
        env.restart(p.conf)
        try:
            yield p
        finally:
            env.restart("")


# Fixtures for a test module that talks to one provider, with the cache
# off so every test sees its own script: `from llm_server import llm,
# fresh_llm` (pytest takes imported fixtures as the module's own).
@pytest.fixture(scope="module")
def llm(env, tmp_path_factory):
    with configured(env, tmp_path_factory, extra="TicketsLLMCacheTTL 0\n") as p:
        yield p


@pytest.fixture(autouse=True)
def fresh_llm(llm):
    """Each test starts with an empty script and record."""
    llm.clear()
    yield
