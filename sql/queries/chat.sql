-- chat.sql: agent chat sessions (handlers/chat.c).  Tables in
-- sql/migrations/014_chat.sql.  Every statement names the session's user:
-- a session is its user's alone.

-- name: chat_session_create
INSERT INTO chat_sessions AS s (org_id, user_id, title)
VALUES (%s::uuid, %s::uuid, %s)
RETURNING tk_chat_session_json(s)::text, s.id

-- name: chat_session_list
-- The user's sessions, the most recently used first.
SELECT tk_chat_session_json(s)::text, count(*) OVER ()
  FROM chat_sessions s
 WHERE s.user_id = %s::uuid
 ORDER BY s.updated_at DESC, s.id
 LIMIT %s::int OFFSET %s::int

-- name: chat_session_get
-- A session with its messages and the tickets attached to it.
SELECT (tk_chat_session_json(s) || jsonb_build_object(
          'messages', (SELECT coalesce(jsonb_agg(tk_chat_message_json(m)
                                                 ORDER BY m.created_at, m.id), '[]')
                         FROM chat_messages m WHERE m.session_id = s.id),
          'attachedTickets', tk_chat_attached(s)))::text
  FROM chat_sessions s
 WHERE s.id = %s::uuid AND s.user_id = %s::uuid

-- name: chat_session_delete
DELETE FROM chat_sessions s WHERE s.id = %s::uuid AND s.user_id = %s::uuid

-- name: chat_session_read
-- The session of its user: its attached tickets, its title.  (Two
-- messages sent at once in one session are both answered, each from the
-- history it found.)
SELECT s.id, s.attached_ticket_ids::text, s.title
  FROM chat_sessions s
 WHERE s.id = %s::uuid AND s.user_id = %s::uuid

-- name: chat_session_tickets
-- Attach and detach (JSON arrays of uuids): only live tickets of the
-- session's organization are attached; the first that is not comes back
-- as the second column, and nothing changes.
WITH p AS (SELECT %s::uuid AS id, %s::uuid AS user_id,
                  ARRAY(SELECT jsonb_array_elements_text(%s::jsonb))::uuid[] AS attach,
                  ARRAY(SELECT jsonb_array_elements_text(%s::jsonb))::uuid[] AS detach),
s0 AS (SELECT s.* FROM chat_sessions s, p WHERE s.id = p.id AND s.user_id = p.user_id),
bad AS (SELECT a FROM p, s0, unnest(p.attach) a
         WHERE NOT EXISTS (SELECT 1 FROM tickets t
                            WHERE t.id = a AND t.org_id = s0.org_id AND t.deleted_at IS NULL)
         LIMIT 1),
s AS (UPDATE chat_sessions s
         SET attached_ticket_ids = ARRAY(
                 SELECT DISTINCT x FROM unnest(s.attached_ticket_ids || p.attach) x
                  WHERE x <> ALL (p.detach) ORDER BY x),
             updated_at = now()
        FROM p
       WHERE s.id = p.id AND s.user_id = p.user_id AND NOT EXISTS (SELECT 1 FROM bad)
      RETURNING s.*)
SELECT (SELECT (tk_chat_session_json(s) || jsonb_build_object(
                   'attachedTickets', tk_chat_attached(s)))::text FROM s),
       (SELECT a::text FROM bad),
       (SELECT count(*) FROM s0),
       (SELECT cardinality(s.attached_ticket_ids) FROM s)

-- name: chat_history
-- The last 40 messages of a session, oldest first, as the model reads
-- them back.
SELECT m.role, m.content
  FROM (SELECT * FROM chat_messages m WHERE m.session_id = %s::uuid
         ORDER BY m.created_at DESC, m.id DESC LIMIT 40) m
 ORDER BY m.created_at, m.id

-- name: chat_message_add
-- A message of the session; the session is touched, and titled by its
-- first message when it has no title.
WITH m AS (
    INSERT INTO chat_messages AS m (session_id, role, content, ticket_refs, tool_calls)
    VALUES (%s::uuid, %s, %s,
            ARRAY(SELECT jsonb_array_elements_text(coalesce(%s::jsonb, '[]')))::uuid[],
            %s::jsonb)
    RETURNING m.*),
s AS (UPDATE chat_sessions s
         SET updated_at = now(), title = coalesce(s.title, %s)
        FROM m WHERE s.id = m.session_id
      RETURNING s.id)
SELECT tk_chat_message_json(m)::text, (SELECT count(*) FROM s) FROM m

-- name: chat_progress
-- A step of the assistant's work, as a chat_progress event for the
-- session's user alone (committed on its own).
SELECT tk_chat_progress(s, %s::jsonb) FROM chat_sessions s WHERE s.id = %s::uuid
