"""Transcripts of closed tickets (SPEC section 6, seed document 004).

Closing a ticket stores its whole thread sealed with AES-256-GCM under the
current key of TicketsTranscriptKeyFile, the ticket's id as associated
data.  GET /api/tickets/:id/transcript opens the latest (JSON, or
text/plain); the creator, the ticket's customer and staff may read it,
customers without internal notes.  A changed row fails the tag check (500
and a log line); old keys keep opening what they sealed, and
POST /api/transcripts/rekey seals everything again with the current one.
Without a key file, closes store nothing and the endpoint says so.
"""

import base64
import os

import pytest

from messaging_util import data
from tickets_util import (ADMIN, AGENT, CUSTOMER, GLOBEX_ADMIN, VIEWER, Api,
                          assert_error, create_ticket, move)

KEY_A = base64.b64encode(bytes(range(32))).decode()
KEY_B = base64.b64encode(bytes(range(32, 64))).decode()


def transcript(env, ticket, user=AGENT, **kw):
    return Api(env, user).get(f"/api/tickets/{ticket}/transcript", **kw)


def closed_ticket(env, user=CUSTOMER):
    t = create_ticket(env, user=user, description="It crashes at start.")
    data(Api(env, AGENT).post(f"/api/tickets/{t['id']}/messages",
                              {"content": "Please send the log."}), 201)
    data(Api(env, AGENT).post(f"/api/tickets/{t['id']}/messages",
                              {"content": "Known bug 123.", "internal": True}), 201)
    move(env, t["id"], "closed")
    return t


def rows(env, ticket):
    return env.psql(f"SELECT version, key_id, sealed FROM ticket_transcripts "
                    f"WHERE ticket_id = '{ticket}' ORDER BY version")


def test_close_stores_a_sealed_transcript_read_back_as_json_and_text(env):
    t = closed_ticket(env)
    stored = rows(env, t["id"])
    assert len(stored) == 1 and stored[0][0] == "1"
    assert "Please send the log" not in stored[0][2]        # sealed, not plain
    doc = data(transcript(env, t["id"]))
    assert doc["ticketId"] == t["id"] and doc["version"] == 1 and doc["keyId"]
    tr = doc["transcript"]
    assert tr["ticket"]["status"] == "closed"
    assert [m["content"] for m in tr["messages"]] == [
        "It crashes at start.", "Please send the log.", "Known bug 123."]
    assert tr["messages"][1]["authorName"] == "Alex Agent"
    types = [e["type"] for e in tr["events"]]
    assert types[0] == "TICKET_CREATED" and types[-1] == "STATUS_CHANGED"
    assert tr["events"][-1]["payload"]["after"] == {"status": "closed"}
    r = transcript(env, t["id"], headers={"Accept": "text/plain"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain")
    assert t["key"] in r.text and "Please send the log." in r.text
    assert "(internal note)" in r.text


def test_who_may_read_it(env):
    t = closed_ticket(env)
    mine = data(transcript(env, t["id"], user=CUSTOMER))
    contents = [m["content"] for m in mine["transcript"]["messages"]]
    assert "Known bug 123." not in contents and "Please send the log." in contents
    assert "events" not in mine["transcript"] and "keyId" not in mine
    # the staff's version and time of the ticket (moved by internal notes)
    assert "version" not in mine["transcript"]["ticket"]
    assert "updatedAt" not in mine["transcript"]["ticket"]
    staff = data(transcript(env, t["id"], user=AGENT))["transcript"]["ticket"]
    assert "version" in staff and "updatedAt" in staff
    text = transcript(env, t["id"], user=CUSTOMER, headers={"Accept": "text/plain"}).text
    assert "Known bug 123." not in text
    assert transcript(env, t["id"], user=VIEWER).status_code == 200
    assert transcript(env, t["id"], user=ADMIN).status_code == 200
    assert_error(transcript(env, t["id"], user=GLOBEX_ADMIN), 404, "NOT_FOUND")
    staffs = closed_ticket(env, user=AGENT)
    assert_error(transcript(env, staffs["id"], user=CUSTOMER), 404, "NOT_FOUND")


def test_attachments_are_named_in_it(env):
    t = create_ticket(env)
    r = Api(env, AGENT).post(f"/api/tickets/{t['id']}/attachments", b"log line\n",
                             params={"filename": "app.log"},
                             headers={"Content-Type": "text/plain"})
    a = data(r, 201)
    move(env, t["id"], "closed")
    files = data(transcript(env, t["id"]))["transcript"]["attachments"]
    assert [(f["filename"], f["sha256"]) for f in files] == [("app.log", a["sha256"])]


def test_not_closed_yet_and_versions(env):
    t = create_ticket(env)
    r = transcript(env, t["id"])
    assert_error(r, 404, "NOT_FOUND")
    assert "no transcript yet" in r.json()["error"]["message"]
    move(env, t["id"], "closed")
    move(env, t["id"], "open")
    data(Api(env, AGENT).post(f"/api/tickets/{t['id']}/messages",
                              {"content": "Reopened: it came back."}), 201)
    move(env, t["id"], "closed")
    latest = data(transcript(env, t["id"]))
    assert latest["version"] == 2
    assert latest["transcript"]["messages"][-1]["content"] == "Reopened: it came back."
    first = data(transcript(env, t["id"], params={"version": "1"}))
    assert first["version"] == 1 and len(first["transcript"]["messages"]) == 1
    assert_error(transcript(env, t["id"], params={"version": "9"}), 404, "NOT_FOUND")
    assert_error(transcript(env, t["id"], params={"version": "x"}), 400, "INVALID_QUERY")


@pytest.mark.allow_log(r"TK00092")
def test_a_changed_row_fails_the_tag_check(env):
    t = closed_ticket(env)
    sealed = base64.b64decode(rows(env, t["id"])[0][2])
    flipped = bytearray(sealed)
    flipped[20] ^= 1
    env.psql(f"UPDATE ticket_transcripts SET sealed = "
             f"'{base64.b64encode(bytes(flipped)).decode()}' WHERE ticket_id = '{t['id']}'")
    r = transcript(env, t["id"])
    assert_error(r, 500, "INTERNAL")
    assert "crashes" not in r.text
    # Moved to another ticket, a row does not open either (associated data).
    other = closed_ticket(env)
    env.psql(f"UPDATE ticket_transcripts SET sealed = '{base64.b64encode(sealed).decode()}' "
             f"WHERE ticket_id = '{other['id']}'")
    assert_error(transcript(env, other["id"]), 500, "INTERNAL")
    assert any("TK00092" in line for line in env.error_log_lines_since(0))


def _keys(env, name, text):
    path = os.path.join(env.inst, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)
    return path


@pytest.mark.allow_log(r"TK00092")
def test_rotation_and_rekey(env):
    one = _keys(env, "keys-a", f"old {KEY_A}\n")
    two = _keys(env, "keys-ab", f"# rotated\nold {KEY_A}\nnew {KEY_B}\n")
    only_new = _keys(env, "keys-b", f"new {KEY_B}\n")
    try:
        env.restart(f'TicketsTranscriptKeyFile "{one}"\n')
        t = closed_ticket(env)
        assert rows(env, t["id"])[0][1] == "old"
        env.restart(f'TicketsTranscriptKeyFile "{two}"\n')
        assert data(transcript(env, t["id"]))["keyId"] == "old"
        u = closed_ticket(env)
        assert rows(env, u["id"])[0][1] == "new"
        assert_error(Api(env, AGENT).post("/api/transcripts/rekey"), 403, "FORBIDDEN")
        done = data(Api(env, ADMIN).post("/api/transcripts/rekey"))
        assert done["keyId"] == "new" and done["resealed"] >= 1 and done["failed"] == 0
        # Transcripts sealed with keys this file lacks are counted, and left.
        assert done["unknownKey"] == int(env.psql(
            "SELECT count(*) FROM ticket_transcripts x JOIN organizations o "
            "ON o.id = x.org_id WHERE o.slug = 'acme' AND x.key_id NOT IN ('old', 'new')")[0][0])
        assert rows(env, t["id"])[0][1] == "new"
        env.restart(f'TicketsTranscriptKeyFile "{only_new}"\n')
        assert data(transcript(env, t["id"]))["transcript"]["messages"][0]["content"] \
            == "It crashes at start."
        # A transcript of a key no longer in the file does not open.
        env.psql(f"UPDATE ticket_transcripts SET key_id = 'old' WHERE ticket_id = '{u['id']}'")
        assert_error(transcript(env, u["id"]), 500, "INTERNAL")
        env.psql(f"UPDATE ticket_transcripts SET key_id = 'new' WHERE ticket_id = '{u['id']}'")
    finally:
        env.restart("")


def test_without_a_key_closing_works_and_the_endpoint_says_so(env):
    try:
        env.restart("TicketsTranscriptKeyFile none\n")
        t = create_ticket(env)
        move(env, t["id"], "closed")
        assert rows(env, t["id"]) == []
        r = transcript(env, t["id"])
        assert_error(r, 404, "NOT_FOUND")
        assert "not enabled" in r.json()["error"]["message"]
        assert_error(Api(env, ADMIN).post("/api/transcripts/rekey"), 404, "NOT_FOUND")
    finally:
        env.restart("")


@pytest.mark.allow_log(r"TK0009[06]")
@pytest.mark.parametrize("text,mode", [
    ("k1 tooshort\n", 0o600),
    (f"k1 {KEY_A}\n", 0o644),          # readable by others
])
def test_a_bad_key_file_stops_the_server(env, text, mode):
    bad = _keys(env, "keys-bad", text)
    os.chmod(bad, mode)
    try:
        with pytest.raises(Exception):
            env.restart(f'TicketsTranscriptKeyFile "{bad}"\n', timeout=10)
        with open(env.error_log, errors="replace") as f:
            assert ("TK00090" if mode == 0o600 else "TK00096") in f.read()
    finally:
        env.restart("")
