-- conversations.sql: the statements of /api/conversations, of the web
-- chat, of the platforms' webhooks and of the delivery of replies
-- (sql/migrations/007_messaging.sql).  A customer's statements take
-- own_user, the login whose conversations alone they may see; staff pass
-- NULL.  Each change writes its live events in the same statement.

-- name: conversation_list
WITH p AS (SELECT %s::uuid AS org_id, %s::uuid AS own_user,
                  string_to_array(%s, ',') AS statuses, %s::uuid AS channel_id,
                  %s::text AS platform, %s::uuid AS assignee_id,
                  %s::boolean AS unassigned, %s::uuid AS customer_id,
                  %s::text AS mode, %s::text AS q, %s::int AS lim, %s::int AS off)
SELECT tk_conversation_json(v)::text, count(*) OVER ()
  FROM p JOIN conversations v ON v.org_id = p.org_id
  JOIN customers c ON c.id = v.customer_id
 WHERE (p.own_user IS NULL OR c.user_id = p.own_user)
   AND (p.statuses IS NULL OR v.status = ANY (p.statuses))
   AND (p.channel_id IS NULL OR v.channel_id = p.channel_id)
   AND (p.platform IS NULL OR v.platform = p.platform)
   AND (p.assignee_id IS NULL OR v.assignee_id = p.assignee_id)
   AND (p.unassigned IS NOT TRUE OR v.assignee_id IS NULL)
   AND (p.customer_id IS NULL OR v.customer_id = p.customer_id)
   AND (p.mode IS NULL OR v.mode = p.mode)
   AND (p.q IS NULL OR strpos(lower(c.name), lower(p.q)) > 0
        OR strpos(lower(coalesce(c.email, '')), lower(p.q)) > 0
        OR strpos(coalesce(c.phone, ''), p.q) > 0
        OR v.thread_id = p.q)
 ORDER BY v.last_message_at DESC, v.id
 LIMIT (SELECT lim FROM p) OFFSET (SELECT off FROM p)

-- name: conversation_get
-- The conversation, and the tickets opened from it (not deleted), oldest
-- first, by id and key (what never changes but by opening or deleting,
-- both of which move the version: 018_conversation_version.sql): theirs
-- are the conversation's customer's, so whoever may see the conversation
-- may see them.
SELECT (tk_conversation_json(v) || jsonb_build_object('tickets',
          (SELECT coalesce(jsonb_agg(jsonb_build_object(
                      'id', t.id, 'key', tk_ticket_key(t.number)) ORDER BY t.number), '[]')
             FROM tickets t
            WHERE t.conversation_id = v.id AND t.org_id = v.org_id
              AND t.deleted_at IS NULL)))::text,
       v.version
  FROM conversations v JOIN customers c ON c.id = v.customer_id
 WHERE v.id = %s::uuid AND v.org_id = %s::uuid
   AND (%s::uuid IS NULL OR c.user_id = %s::uuid)

-- name: conversation_lock
SELECT v.id, v.version, tk_conversation_json(v)::text, v.status, v.platform
  FROM conversations v JOIN customers c ON c.id = v.customer_id
 WHERE v.id = %s::uuid AND v.org_id = %s::uuid
   AND (%s::uuid IS NULL OR c.user_id = %s::uuid)
   FOR NO KEY UPDATE OF v

-- name: conversation_update
-- A conversation closed is out of its thread: the next message there
-- opens a new one.  One whose thread has another open conversation since
-- stays closed (no row: the caller says 409), as conversations_thread
-- would have it.
WITH p AS (SELECT %s::uuid AS id, %s::text AS status, %s::boolean AS set_assignee,
                  %s::uuid AS assignee_id, %s::text AS mode, %s::boolean AS read),
v AS (
    UPDATE conversations v
       SET status = coalesce(p.status, v.status),
           assignee_id = CASE WHEN p.set_assignee THEN p.assignee_id
                              ELSE v.assignee_id END,
           mode = coalesce(p.mode, v.mode),
           unread_count = CASE WHEN p.read THEN 0 ELSE v.unread_count END,
           version = v.version + 1, updated_at = now()
      FROM p
     WHERE v.id = p.id
       AND NOT (v.status = 'closed' AND coalesce(p.status, 'closed') <> 'closed'
                AND EXISTS (SELECT 1 FROM conversations o
                             WHERE o.channel_id = v.channel_id
                               AND o.thread_id = v.thread_id
                               AND o.id <> v.id AND o.status <> 'closed'))
    RETURNING v.*)
SELECT tk_conversation_json(v)::text, v.version FROM v

-- name: conversation_messages
SELECT tk_conv_message_json(m)::text, count(*) OVER ()
  FROM conversation_messages m
 WHERE m.conversation_id = %s::uuid
 ORDER BY m.created_at, m.id
 LIMIT %s::int OFFSET %s::int

-- name: conversation_reply
-- A message written in the conversation by staff (sender agent) or by its
-- customer in the web chat (sender customer).  A staff reply on a
-- platform waits for its delivery (pending); the rest is there at once
-- (sent).  The conversation's time moves; a staff reply reads it, a
-- customer message adds to the unread and reopens it.
WITH p AS (SELECT %s::uuid AS conversation_id, %s::uuid AS author_id,
                  %s::text AS sender, %s::text AS content, %s::text AS status),
m AS (
    INSERT INTO conversation_messages (org_id, conversation_id, channel_id, sender,
                                       author_id, content, status)
    SELECT v.org_id, v.id, v.channel_id, p.sender, p.author_id, p.content, p.status
      FROM p JOIN conversations v ON v.id = p.conversation_id
    RETURNING *),
v AS (
    UPDATE conversations v
       SET last_message_at = m.sent_at,
           unread_count = CASE WHEN m.sender = 'customer' THEN v.unread_count + 1
                               ELSE 0 END,
           status = CASE WHEN m.sender = 'customer' AND v.status IN ('pending', 'resolved')
                         THEN 'open' ELSE v.status END,
           version = v.version + 1, updated_at = now()
      FROM m
     WHERE v.id = m.conversation_id
    RETURNING v.*),
e AS (SELECT tk_conversation_event(v.org_id, v.id, v.customer_id, 'new_message',
                                   tk_new_message_data(m))
        FROM m, v),
j AS (SELECT tk_conversation_ai_job(v.org_id, v.id, m.id) FROM m, v
       WHERE m.sender = 'customer' AND v.mode = 'ai')
SELECT tk_conv_message_json(m)::text, m.id, v.org_id, (SELECT count(*) FROM e),
       (SELECT count(*) FROM j)
  FROM m, v

-- name: conversation_open_web
-- A customer's new web chat conversation with its first message, on the
-- organization's web channel (the first argument, from channel_web).  A
-- login without a customer record gets one (customer_created); none is
-- returned when another request made it at this very moment (the caller
-- says try again).
WITH p AS (SELECT %s::uuid AS channel_id, %s::uuid AS user_id, %s::text AS content,
                  %s::boolean AS ai),
known AS (SELECT c.* FROM customers c, p WHERE c.user_id = p.user_id),
made AS (
    INSERT INTO customers (org_id, user_id, name, email)
    SELECT u.org_id, u.id, u.name, u.email
      FROM p JOIN users u ON u.id = p.user_id
     WHERE NOT EXISTS (SELECT 1 FROM known)
    ON CONFLICT DO NOTHING
    RETURNING *),
c AS (SELECT * FROM known UNION ALL SELECT * FROM made),
e0 AS (SELECT tk_customer_event(made.org_id, 'customer_created', tk_customer_json(made))
         FROM made),
v AS (
    INSERT INTO conversations (org_id, channel_id, customer_id, platform,
                               unread_count, mode)
    SELECT ch.org_id, ch.id, c.id, 'web', 1, tk_web_chat_mode(ch, p.ai)
      FROM p JOIN channels ch ON ch.id = p.channel_id, c
    RETURNING *),
m AS (
    INSERT INTO conversation_messages (org_id, conversation_id, channel_id, sender,
                                       author_id, content, sent_at, status)
    SELECT v.org_id, v.id, v.channel_id, 'customer', p.user_id, p.content,
           v.last_message_at, 'sent'
      FROM v, p
    RETURNING *),
e1 AS (SELECT tk_conversation_event(v.org_id, v.id, v.customer_id,
                                    'new_conversation', tk_conversation_json(v))
         FROM v
        WHERE (SELECT count(*) FROM e0) >= 0),     -- after customer_created
e2 AS (SELECT tk_conversation_event(v.org_id, v.id, v.customer_id, 'new_message',
                                    tk_new_message_data(m))
         FROM m, v, e1),
j AS (SELECT tk_conversation_ai_job(v.org_id, v.id, m.id) FROM v, m WHERE v.mode = 'ai')
SELECT tk_conversation_json(v)::text, v.version, v.id,
       (SELECT count(*) FROM e2) + (SELECT count(*) FROM e0), (SELECT count(*) FROM j)
  FROM v

-- name: conversation_message_retry
-- A failed reply, or a pending one whose delivery stopped (its worker
-- died on the last attempt), back to pending for another delivery; never
-- while a delivery job of it is still to run (one given back after its
-- worker died: it would send too).  A staff reply only: a customer's
-- message is not delivered.
WITH m AS (
    UPDATE conversation_messages m
       SET status = 'pending', last_error = NULL
     WHERE m.id = %s::uuid AND m.conversation_id = %s::uuid
       AND m.sender IN ('agent', 'ai')
       AND m.status IN ('failed', 'pending')
       AND NOT tk_send_unfinished(m.id)
    RETURNING m.*),
e AS (SELECT tk_conversation_event(v.org_id, v.id, v.customer_id, 'message_sent',
                                   tk_conv_message_json(m))
        FROM m JOIN conversations v ON v.id = m.conversation_id)
SELECT tk_conv_message_json(m)::text, (SELECT count(*) FROM e) FROM m

-- name: conversation_message_status
SELECT m.status FROM conversation_messages m
 WHERE m.id = %s::uuid AND m.conversation_id = %s::uuid

-- name: conversation_ticket
-- A ticket opened from a conversation: its customer, the platform as its
-- source, and the conversation's last customer message as its first
-- message (the title given, or the message's first line).
SELECT doc, version, id FROM tk_conversation_ticket(%s::uuid, %s::uuid, %s)

-- ---------------------------------------------------------------------
-- Webhooks
-- ---------------------------------------------------------------------

-- name: inbound_message
SELECT message_id, conversation_id, stored
  FROM tk_inbound_message(%s::uuid, %s, %s, %s, %s, %s, %s,
                          to_timestamp(%s::float8 / 1000))

-- name: discord_ticket_open
SELECT doc, key FROM tk_discord_ticket_open(%s::uuid, %s, %s, %s, %s, %s, %s, %s)

-- name: discord_ticket_move
SELECT key, moved FROM tk_discord_ticket_move(%s::uuid, %s, %s)

-- ---------------------------------------------------------------------
-- Delivery of replies (work/tk_send.c)
-- ---------------------------------------------------------------------

-- name: send_load
-- What a delivery needs: the message, where it goes, and the channel's
-- credentials (none once the channel is deleted: the last column says so).
SELECT m.status, m.content, v.reply_to, ch.platform, ch.account_id,
       ch.api_base, ch.settings::text,
       CASE WHEN ch.deleted_at IS NULL THEN ch.secrets::text ELSE '{}' END,
       m.attempts, ch.deleted_at IS NOT NULL
  FROM conversation_messages m
  JOIN conversations v ON v.id = m.conversation_id
  JOIN channels ch ON ch.id = m.channel_id
 WHERE m.id = %s::uuid

-- name: send_outcome
-- The outcome of one attempt, and message_sent with it.  A message sent
-- already stays so (a job run twice never takes it back).
WITH p AS (SELECT %s::uuid AS id, %s::text AS status, %s::text AS platform_id,
                  %s::text AS error),
m AS (
    UPDATE conversation_messages m
       SET status = p.status,
           platform_message_id = coalesce(p.platform_id, m.platform_message_id),
           last_error = CASE WHEN p.status = 'sent' THEN NULL ELSE p.error END,
           attempts = m.attempts + 1,
           sent_at = CASE WHEN p.status = 'sent' THEN now() ELSE m.sent_at END
      FROM p
     WHERE m.id = p.id AND m.status <> 'sent'
    RETURNING m.*),
e AS (SELECT tk_conversation_event(v.org_id, v.id, v.customer_id, 'message_sent',
                                   tk_conv_message_json(m))
        FROM m JOIN conversations v ON v.id = m.conversation_id)
SELECT m.status, (SELECT count(*) FROM e) FROM m

-- name: conversation_event
-- A conversation's live event, after a statement that changed it.
SELECT tk_conversation_event(v.org_id, v.id, v.customer_id, %s, %s::jsonb)
  FROM conversations v WHERE v.id = %s::uuid

-- name: send_sweep
-- Replies whose delivery stopped without an outcome (the job died on its
-- last attempt: no unfinished job names them) are failed, with
-- message_sent, so that nothing stays pending unseen; they can be sent
-- again.  At most 500 a run.
WITH stuck AS (
    SELECT m.id FROM conversation_messages m
     WHERE m.status = 'pending' AND m.sender IN ('agent', 'ai')
       AND m.channel_id IN (SELECT ch.id FROM channels ch WHERE ch.platform <> 'web')
       AND NOT tk_send_unfinished(m.id)
     LIMIT 500
       FOR UPDATE OF m SKIP LOCKED),
m AS (
    UPDATE conversation_messages m
       SET status = 'failed',
           last_error = 'The delivery stopped before the platform''s answer '
                        'was known; send it again.'
      FROM stuck
     WHERE m.id = stuck.id AND m.status = 'pending'
    RETURNING m.*),
e AS (SELECT tk_conversation_event(v.org_id, v.id, v.customer_id, 'message_sent',
                                   tk_conv_message_json(m))
        FROM m JOIN conversations v ON v.id = m.conversation_id)
SELECT count(*) FROM e
