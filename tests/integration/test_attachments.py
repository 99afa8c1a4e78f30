"""Attachments (SPEC section 6): POST /api/tickets/:id/attachments and
GET /api/attachments/:id.

An upload is multipart/form-data with one "file" part (and "messageId"),
or the raw file with ?filename=.  Only .txt .log .png .jpg .jpeg .json,
the content matching the extension; larger than TicketsAttachmentMaxSize
is 413; the same content twice on a ticket answers the first (200).  The
file is stored under TicketsUploadDir by its id; a refused upload leaves
nothing there.  Downloads carry the type, Content-Disposition with the
UTF-8 name, nosniff and an ETag; who may read one is who may read the
ticket, and customers never get an internal note's file.
"""

import os
import re
import socket
import time
import uuid

import pytest
import requests

from messaging_util import data, wait_until
from test_jobs import run_now
from test_sse import start
from tickets_util import (ADMIN, AGENT, CUSTOMER, GLOBEX_ADMIN, VIEWER, Api,
                          assert_error, create_ticket, db_events, uniq)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"0" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"1" * 40
LIMIT = 5 * 1024 * 1024


def upload_dir(env):
    with open(os.path.join(env.inst, "httpd.conf")) as f:
        return re.search(r'^TicketsUploadDir "([^"]+)"', f.read(), re.M).group(1)


def stored(env):
    return sorted(os.listdir(upload_dir(env)))


def multipart(parts, boundary="tkB0undary"):
    """parts: (name, filename or None, bytes, content type or None)."""
    out = b""
    for name, filename, content, ctype in parts:
        out += f"--{boundary}\r\n".encode()
        disp = f'Content-Disposition: form-data; name="{name}"'
        if filename is not None:
            disp += f'; filename="{filename}"'
        out += disp.encode() + b"\r\n"
        if ctype:
            out += f"Content-Type: {ctype}\r\n".encode()
        out += b"\r\n" + content + b"\r\n"
    return out + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def upload(env, ticket, filename, content, user=AGENT, message_id=None, headers=None):
    parts = [("file", filename, content, "application/octet-stream")]
    if message_id:
        parts.insert(0, ("messageId", None, message_id.encode(), None))
    body, ctype = multipart(parts)
    h = {"Content-Type": ctype}
    h.update(headers or {})
    return Api(env, user).post(f"/api/tickets/{ticket}/attachments", body, headers=h)


def raw(env, ticket, filename, content, user=AGENT):
    return Api(env, user).post(f"/api/tickets/{ticket}/attachments", content,
                               params={"filename": filename},
                               headers={"Content-Type": "application/octet-stream"})


def test_upload_download_and_detail(env):
    t = create_ticket(env)
    before = Api(env, AGENT).get(f"/api/tickets/{t['id']}").headers["ETag"]
    with start(env, user=ADMIN) as staff:
        r = upload(env, t["id"], "screen.png", PNG)
        assert r.status_code == 201, r.text
        a = r.json()["data"]
        got = staff.collect(lambda out: any(e["event"] == "ticket_updated"
                                            and e["json"]["id"] == t["id"] for e in out))
    assert a["filename"] == "screen.png" and a["contentType"] == "image/png"
    assert a["size"] == len(PNG) and a["ticketId"] == t["id"]
    import hashlib
    assert a["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert r.headers["Location"] == f"/api/attachments/{a['id']}"
    ev = [e for e in got if e["event"] == "ticket_updated" and e["json"]["id"] == t["id"]][0]
    assert ev["json"]["changes"]["attachment"]["after"]["attachmentId"] == a["id"]
    added = [e for e in db_events(env, t["id"]) if e["type"] == "ATTACHMENT_ADDED"]
    assert len(added) == 1 and added[0]["payload"]["sha256"] == a["sha256"]
    detail = Api(env, VIEWER).get(f"/api/tickets/{t['id']}")
    assert detail.headers["ETag"] != before
    assert [x["id"] for x in detail.json()["data"]["attachments"]] == [a["id"]]
    assert a["id"] in stored(env) and not any(n.startswith(".tmp-") for n in stored(env))
    d = Api(env, VIEWER).get(a["url"])
    assert d.status_code == 200 and d.content == PNG
    assert d.headers["Content-Type"] == "image/png"
    assert d.headers["X-Content-Type-Options"] == "nosniff"
    assert d.headers["Content-Disposition"] == \
        "attachment; filename=\"screen.png\"; filename*=UTF-8''screen.png"
    assert d.headers["ETag"] == f'"{a["sha256"]}"'
    assert Api(env, VIEWER).get(a["url"], headers={"If-None-Match": d.headers["ETag"]}
                                ).status_code == 304
    head = Api(env, VIEWER).req("HEAD", a["url"])
    assert head.status_code == 200 and head.headers["Content-Length"] == str(len(PNG))


def test_raw_body_with_filename_and_a_utf8_name(env):
    t = create_ticket(env)
    name = "résumé 1.json"
    r = raw(env, t["id"], name, b'{"ok": [1, 2, "\xc3\xa9"]}')
    assert r.status_code == 201, r.text
    a = r.json()["data"]
    assert a["filename"] == name and a["contentType"] == "application/json"
    d = Api(env, AGENT).get(a["url"])
    assert d.headers["Content-Disposition"] == (
        "attachment; filename=\"r__sum__ 1.json\"; "
        "filename*=UTF-8''r%C3%A9sum%C3%A9%201.json")
    r = raw(env, t["id"], "../../etc/notes.txt", b"plain text\n")
    assert data(r, 201)["filename"] == "notes.txt"


def test_same_content_twice_answers_the_first(env):
    t = create_ticket(env)
    first = data(upload(env, t["id"], "a.txt", b"same bytes\n"), 201)
    r = upload(env, t["id"], "b.txt", b"same bytes\n")
    assert r.status_code == 200, r.text
    assert r.json()["data"]["id"] == first["id"] and r.json()["data"]["filename"] == "a.txt"
    assert [n for n in stored(env) if n.endswith(first["id"])] == [first["id"]]
    assert len([e for e in db_events(env, t["id"]) if e["type"] == "ATTACHMENT_ADDED"]) == 1
    # On another ticket the same content is another attachment.
    other = create_ticket(env)
    assert upload(env, other["id"], "a.txt", b"same bytes\n").status_code == 201


def test_same_content_as_an_internal_notes_file_is_not_answered_with_it(env):
    mine = create_ticket(env, user=CUSTOMER)
    note = data(Api(env, AGENT).post(f"/api/tickets/{mine['id']}/messages",
                                     {"content": "n", "internal": True}), 201)
    hidden = data(upload(env, mine["id"], "staff.txt", b"the same words\n",
                         message_id=note["id"]), 201)
    r = upload(env, mine["id"], "mine.txt", b"the same words\n", user=CUSTOMER)
    assert r.status_code == 201, r.text
    got = r.json()["data"]
    assert got["id"] != hidden["id"] and got["messageId"] is None
    assert got["filename"] == "mine.txt" and got["uploadedBy"] != hidden["uploadedBy"]
    assert Api(env, CUSTOMER).get(got["url"]).content == b"the same words\n"
    # and staff's file on the note stays the note's
    again = upload(env, mine["id"], "staff2.txt", b"the same words\n", message_id=note["id"])
    assert again.status_code == 200 and again.json()["data"]["id"] == hidden["id"]


def refused_leaves_nothing(env, r, status, code, field=None):
    assert_error(r, status, code, field)
    assert not any(n.startswith(".tmp-") for n in stored(env)), stored(env)


@pytest.mark.parametrize("filename,content,status,code", [
    ("photo.jpg", PNG, 415, "UNSUPPORTED_MEDIA_TYPE"),      # a PNG named .jpg
    ("photo.png", JPEG, 415, "UNSUPPORTED_MEDIA_TYPE"),
    ("setup.exe", b"MZ\x90\x00", 415, "UNSUPPORTED_MEDIA_TYPE"),
    ("noextension", b"text", 415, "UNSUPPORTED_MEDIA_TYPE"),
    ("bad.txt", b"latin1 \xe9t\xe9", 415, "UNSUPPORTED_MEDIA_TYPE"),
    ("bad.json", b'{"a": ', 415, "UNSUPPORTED_MEDIA_TYPE"),
    ("empty.txt", b"", 400, "VALIDATION_ERROR"),
])
def test_content_must_match_the_extension(env, filename, content, status, code):
    t = create_ticket(env)
    before = stored(env)
    refused_leaves_nothing(env, upload(env, t["id"], filename, content), status, code, "file")
    refused_leaves_nothing(env, raw(env, t["id"], filename, content), status, code)
    assert stored(env) == before
    assert Api(env, AGENT).get(f"/api/tickets/{t['id']}").json()["data"]["attachments"] == []


def test_malformed_multipart_is_refused(env):
    t = create_ticket(env)
    url = f"/api/tickets/{t['id']}/attachments"
    api = Api(env, AGENT)
    body, ctype = multipart([("file", "a.txt", b"x", None)])
    refused_leaves_nothing(env, api.post(url, body, headers={"Content-Type": "multipart/form-data"}),
                           400, "VALIDATION_ERROR", "file")          # no boundary
    refused_leaves_nothing(env, api.post(url, body, headers={"Content-Type": "text/plain"}),
                           415, "UNSUPPORTED_MEDIA_TYPE")
    two, ctype = multipart([("file", "a.txt", b"a", None), ("file", "b.txt", b"b", None)])
    refused_leaves_nothing(env, api.post(url, two, headers={"Content-Type": ctype}),
                           400, "VALIDATION_ERROR", "file")
    huge = (b"--tkB0undary\r\nContent-Disposition: form-data; name=\"file\"; "
            b"filename=\"a.txt\"\r\nX-Pad: " + b"p" * 10000 + b"\r\n\r\nx\r\n--tkB0undary--\r\n")
    refused_leaves_nothing(env, api.post(url, huge, headers={"Content-Type": ctype}),
                           400, "VALIDATION_ERROR", "file")
    cut = body[:-20]
    refused_leaves_nothing(env, api.post(url, cut, headers={"Content-Type": ctype}),
                           400, "VALIDATION_ERROR", "file")
    other, ctype = multipart([("file", "a.txt", b"a", None), ("note", None, b"n", None)])
    refused_leaves_nothing(env, api.post(url, other, headers={"Content-Type": ctype}),
                           400, "VALIDATION_ERROR", "note")
    bad_msg, ctype = multipart([("messageId", None, b"nope", None), ("file", "a.txt", b"a", None)])
    refused_leaves_nothing(env, api.post(url, bad_msg, headers={"Content-Type": ctype}),
                           400, "VALIDATION_ERROR", "messageId")
    refused_leaves_nothing(env, api.post(url + "?colour=red", body, headers={"Content-Type": ctype}),
                           400, "INVALID_QUERY")


def test_size_limit_exactly_at_and_one_over(env):
    t = create_ticket(env)
    at = b"a" * LIMIT
    r = raw(env, t["id"], "at.log", at)
    assert r.status_code == 201, r.text[:200]
    assert r.json()["data"]["size"] == LIMIT
    refused_leaves_nothing(env, raw(env, t["id"], "over.log", at + b"b"),
                           413, "PAYLOAD_TOO_LARGE")
    refused_leaves_nothing(env, upload(env, t["id"], "over.log", at + b"c"),
                           413, "PAYLOAD_TOO_LARGE", "file")


def test_over_the_limit_while_streaming_without_a_length(env):
    """A chunked body declares no length: it is stopped once it passes the
    limit, and nothing of it stays."""
    t = create_ticket(env)

    def chunks():
        for _ in range(6):
            yield b"z" * (1024 * 1024)
    r = env.session(AGENT).post(env.url(f"/api/tickets/{t['id']}/attachments"),
                                params={"filename": "big.log"}, data=chunks(),
                                headers={"Content-Type": "text/plain"}, timeout=60)
    refused_leaves_nothing(env, r, 413, "PAYLOAD_TOO_LARGE")


def test_a_chunked_multipart_body_is_bounded_around_its_file_too(env):
    """The bytes around the file part (here a preamble, then an epilogue)
    count towards the limit: a chunked body cannot stream on for ever."""
    t = create_ticket(env)
    url = env.url(f"/api/tickets/{t['id']}/attachments")
    body, ctype = multipart([("file", "small.txt", b"small\n", None)])

    def preamble():
        for _ in range(6):
            yield b"p" * (1024 * 1024)
        yield b"\r\n" + body

    def epilogue():
        yield body
        for _ in range(6):
            yield b"e" * (1024 * 1024)
    for gen in (preamble, epilogue):
        r = env.session(AGENT).post(url, data=gen(), headers={"Content-Type": ctype},
                                    timeout=60)
        refused_leaves_nothing(env, r, 413, "PAYLOAD_TOO_LARGE")
    assert env.session(AGENT).get(env.url(f"/api/tickets/{t['id']}")).json()["data"][
        "attachments"] == []


def test_visibility_of_downloads(env):
    mine = create_ticket(env, user=CUSTOMER)
    staff_only = create_ticket(env)
    note = data(Api(env, AGENT).post(f"/api/tickets/{mine['id']}/messages",
                                     {"content": "internal", "internal": True}), 201)
    public = data(upload(env, mine["id"], "public.txt", b"for the customer\n"), 201)
    hidden = data(upload(env, mine["id"], "note.txt", b"for staff only\n",
                         message_id=note["id"]), 201)
    other = data(upload(env, staff_only["id"], "other.txt", b"not theirs\n"), 201)
    cust = Api(env, CUSTOMER)
    assert cust.get(public["url"]).content == b"for the customer\n"
    assert_error(cust.get(hidden["url"]), 404, "NOT_FOUND")
    assert_error(cust.get(other["url"]), 404, "NOT_FOUND")
    assert [a["id"] for a in cust.get(f"/api/tickets/{mine['id']}").json()["data"]["attachments"]] \
        == [public["id"]]
    assert {a["id"] for a in Api(env, AGENT).get(f"/api/tickets/{mine['id']}")
            .json()["data"]["attachments"]} == {public["id"], hidden["id"]}
    assert_error(Api(env, GLOBEX_ADMIN).get(public["url"]), 404, "NOT_FOUND")
    assert_error(Api(env, AGENT).get(f"/api/attachments/{uuid.uuid4()}"), 404, "NOT_FOUND")
    assert_error(Api(env, AGENT).get("/api/attachments/nope"), 404, "NOT_FOUND")
    assert_error(requests.get(env.url(public["url"]), timeout=30), 401, "UNAUTHENTICATED")


def test_who_may_upload(env):
    mine = create_ticket(env, user=CUSTOMER)
    theirs = create_ticket(env)
    note = data(Api(env, AGENT).post(f"/api/tickets/{mine['id']}/messages",
                                     {"content": "n", "internal": True}), 201)
    assert upload(env, mine["id"], "c.txt", b"from the customer\n", user=CUSTOMER).status_code == 201
    assert_error(upload(env, mine["id"], "c2.txt", b"on a note\n", user=CUSTOMER,
                        message_id=note["id"]), 400, "VALIDATION_ERROR", "messageId")
    assert_error(upload(env, theirs["id"], "c.txt", b"x\n", user=CUSTOMER), 404, "NOT_FOUND")
    assert_error(upload(env, mine["id"], "v.txt", b"x\n", user=VIEWER), 403, "FORBIDDEN")
    assert_error(upload(env, mine["id"], "g.txt", b"x\n", user=GLOBEX_ADMIN), 404, "NOT_FOUND")
    assert_error(upload(env, mine["id"], "m.txt", b"x\n",
                        message_id=str(uuid.uuid4())), 400, "VALIDATION_ERROR", "messageId")
    assert not any(n.startswith(".tmp-") for n in stored(env))


def test_idempotency_key(env):
    t = create_ticket(env)
    key = uniq("idem")
    first = upload(env, t["id"], "i.txt", b"once\n", headers={"Idempotency-Key": key})
    again = upload(env, t["id"], "i.txt", b"once\n", headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert_error(upload(env, t["id"], "i.txt", b"another file\n",
                        headers={"Idempotency-Key": key}), 409, "CONFLICT")


def test_the_purge_settles_and_removes(env):
    """A crash after the commit leaves the file under its temporary name:
    the purge gives it its name.  A temporary file of no row, an hour old,
    goes."""
    t = create_ticket(env)
    a = data(upload(env, t["id"], "settle.txt", b"committed\n"), 201)
    d = upload_dir(env)
    os.rename(os.path.join(d, a["id"]), os.path.join(d, ".tmp-" + a["id"]))
    orphan = os.path.join(d, f".tmp-{uuid.uuid4()}")
    fresh = os.path.join(d, f".tmp-{uuid.uuid4()}")
    for path in (orphan, fresh):
        with open(path, "wb") as f:
            f.write(b"half an upload")
    old = time.time() - 7200
    os.utime(orphan, (old, old))
    run_now(env, "purge.uploads")
    wait_until(lambda: not os.path.exists(orphan), what="the orphan removed")
    wait_until(lambda: os.path.exists(os.path.join(d, a["id"])), what="the rename finished")
    assert os.path.exists(fresh)        # may still be an upload under way
    os.remove(fresh)
    assert Api(env, AGENT).get(a["url"]).content == b"committed\n"


def test_a_download_finishes_an_interrupted_rename(env):
    t = create_ticket(env)
    a = data(upload(env, t["id"], "late.txt", b"late\n"), 201)
    d = upload_dir(env)
    os.rename(os.path.join(d, a["id"]), os.path.join(d, ".tmp-" + a["id"]))
    assert Api(env, AGENT).get(a["url"]).content == b"late\n"
    assert os.path.exists(os.path.join(d, a["id"]))


@pytest.mark.allow_log(r"TK00087")
def test_a_missing_file_is_a_500_with_a_log_line(env):
    t = create_ticket(env)
    a = data(upload(env, t["id"], "gone.txt", b"gone\n"), 201)
    os.remove(os.path.join(upload_dir(env), a["id"]))
    assert_error(Api(env, AGENT).get(a["url"]), 500, "INTERNAL")
