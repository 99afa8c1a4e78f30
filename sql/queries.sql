-- queries.sql: every SQL statement mod_tickets runs, by label.
--
-- Each block starts with `-- name: <label>`; scripts/gen-queries.sh turns
-- this file into build/tk_queries.h, and the module registers each block
-- with mod_dbd (ap_dbd_prepare) at start-up, so all SQL is prepared once per
-- connection and parameters are never spliced into text.  Parameters are
-- apr_dbd placeholders: each `%s` is the next positional argument (sent as
-- varchar, cast where used); a literal percent sign is written `%%`.  Most
-- statements gather their parameters in a one-row `p` so that each is
-- passed once and named.  The benchmark (bench/) runs these same texts with
-- pgbench.

-- ---------------------------------------------------------------------
-- Health and identity
-- ---------------------------------------------------------------------

-- name: health
SELECT 1

-- name: user_by_email
SELECT u.id, u.org_id, u.role, u.email, u.name, u.password_hash
  FROM users u
 WHERE lower(u.email) = lower(%s) AND NOT u.disabled

-- name: user_by_token
SELECT u.id, u.org_id, u.role, u.email, u.name
  FROM api_tokens t JOIN users u ON u.id = t.user_id
 WHERE t.token_hash = %s
   AND t.revoked_at IS NULL
   AND (t.expires_at IS NULL OR t.expires_at > now())
   AND NOT u.disabled

-- name: user_by_session
SELECT u.id, u.org_id, u.role, u.email, u.name
  FROM sessions s JOIN users u ON u.id = s.user_id
 WHERE s.token_hash = %s AND s.expires_at > now() AND NOT u.disabled

-- name: user_me
SELECT (tk_user_json(u) || jsonb_build_object(
           'org', jsonb_build_object('id', o.id, 'slug', o.slug, 'name', o.name)))::text
  FROM users u JOIN organizations o ON o.id = u.org_id
 WHERE u.id = %s::uuid

-- name: session_create
INSERT INTO sessions (org_id, user_id, token_hash, expires_at)
SELECT u.org_id, u.id, p.token_hash, now() + p.lifetime * interval '1 second'
  FROM (SELECT %s::uuid AS user_id, %s::text AS token_hash, %s::int AS lifetime) p
  JOIN users u ON u.id = p.user_id

-- name: session_delete
DELETE FROM sessions WHERE token_hash = %s OR expires_at < now()

-- name: session_purge
-- Run at each login, so expired sessions do not pile up.
DELETE FROM sessions WHERE expires_at < now()

-- ---------------------------------------------------------------------
-- API tokens
-- ---------------------------------------------------------------------

-- name: token_create
WITH p AS (SELECT %s::uuid AS org_id, %s::uuid AS user_id, %s::text AS name,
                  %s::text AS token_hash, %s::text AS prefix, %s::int AS days)
INSERT INTO api_tokens (org_id, user_id, name, token_hash, prefix, expires_at)
SELECT p.org_id, u.id, p.name, p.token_hash, p.prefix,
       now() + p.days * interval '1 day'
  FROM p JOIN users u ON u.id = p.user_id AND u.org_id = p.org_id
RETURNING jsonb_build_object('id', id, 'userId', user_id, 'name', name,
                             'prefix', prefix, 'createdAt', tk_ts(created_at),
                             'expiresAt', tk_ts(expires_at))::text

-- name: token_list
SELECT jsonb_build_object('id', t.id, 'userId', t.user_id, 'name', t.name,
                          'prefix', t.prefix, 'createdAt', tk_ts(t.created_at),
                          'expiresAt', tk_ts(t.expires_at),
                          'revokedAt', tk_ts(t.revoked_at))::text,
       count(*) OVER ()
  FROM api_tokens t
 WHERE t.org_id = %s::uuid
 ORDER BY t.created_at DESC, t.id
 LIMIT %s::int OFFSET %s::int

-- name: token_revoke
UPDATE api_tokens SET revoked_at = now()
 WHERE id = %s::uuid AND org_id = %s::uuid AND revoked_at IS NULL
RETURNING id, token_hash

-- ---------------------------------------------------------------------
-- Tickets
-- ---------------------------------------------------------------------

-- name: ticket_list
-- Planned per call for the filters given: see tk_ticket_list() in
-- sql/migrations/003_ticket_list.sql.
SELECT doc, total
  FROM tk_ticket_list(%s::uuid, %s::uuid, string_to_array(%s, ','),
                      string_to_array(%s, ','), %s, %s, %s::uuid, %s::boolean,
                      %s::uuid, string_to_array(%s, ','), %s, %s::timestamptz,
                      %s::timestamptz, websearch_to_tsquery('english', %s), %s,
                      %s::int, %s::int)

-- name: ticket_search
WITH p AS NOT MATERIALIZED (
    SELECT %s::uuid AS org_id,
           %s::uuid AS own_user,
           websearch_to_tsquery('english', %s) AS q,
           %s::int AS lim,
           %s::int AS off),
page AS (
    SELECT t AS ticket, ts_rank(t.search, p.q) AS rank, count(*) OVER () AS total
      FROM p, tickets t
     WHERE t.org_id = p.org_id AND t.deleted_at IS NULL
       AND (p.own_user IS NULL OR t.creator_id = p.own_user
            OR t.customer_id IN (SELECT c.id FROM customers c WHERE c.user_id = p.own_user))
       AND t.search @@ p.q
     ORDER BY rank DESC, t.created_at DESC, t.id
     LIMIT (SELECT lim FROM p) OFFSET (SELECT off FROM p))
SELECT (tk_ticket_view(page.ticket, p.own_user IS NULL)
        || jsonb_build_object('rank', page.rank))::text,
       page.total
  FROM page, p

-- name: ticket_get
-- The whole answer, {"data": ticket with thread, creator and assignee},
-- serialized here and sent as it is.  The ticket is found by number through
-- the (org_id, number) key, a uuid first mapped to its number, so one index
-- path serves both forms.
WITH p AS (
    SELECT %s::uuid AS org_id,
           %s::uuid AS own_user,
           %s::uuid AS id,
           %s::int AS number,
           %s::boolean AS staff)
SELECT jsonb_build_object('data', tk_ticket_view(t, p.staff) || jsonb_build_object(
          'messages', (SELECT coalesce(jsonb_agg(tk_message_json(m) ORDER BY m.created_at, m.id), '[]')
                         FROM ticket_messages m
                        WHERE m.ticket_id = t.id AND (p.staff OR NOT m.internal)),
          'creator', (SELECT tk_user_json(u) FROM users u WHERE u.id = t.creator_id),
          'assignee', (SELECT tk_user_json(u) FROM users u WHERE u.id = t.assignee_id)))::text,
       CASE WHEN p.staff THEN t.version ELSE t.public_version END
  FROM p, tickets t
 WHERE t.org_id = p.org_id AND t.deleted_at IS NULL
   AND t.number = coalesce(p.number, (SELECT x.number FROM tickets x
                                       WHERE x.id = p.id AND x.org_id = p.org_id))
   AND (p.own_user IS NULL OR t.creator_id = p.own_user
        OR t.customer_id IN (SELECT c.id FROM customers c WHERE c.user_id = p.own_user))

-- name: ticket_lock
WITH p AS (
    SELECT %s::uuid AS org_id,
           %s::uuid AS own_user,
           %s::uuid AS id,
           %s::int AS number)
SELECT t.id, t.version, t.status, tk_ticket_json(t)::text, t.public_version
  FROM p, tickets t
 WHERE t.org_id = p.org_id AND t.deleted_at IS NULL
   AND (t.id = p.id OR t.number = p.number)
   AND (p.own_user IS NULL OR t.creator_id = p.own_user
        OR t.customer_id IN (SELECT c.id FROM customers c WHERE c.user_id = p.own_user))
   FOR UPDATE OF t

-- name: ticket_create
WITH p AS (
    SELECT %s::uuid AS org_id,
           %s::uuid AS creator_id,
           %s::text AS title,
           %s::text AS description,
           %s::text AS priority,
           %s::text AS category,
           %s::text AS product_area,
           %s::text AS source,
           ARRAY(SELECT jsonb_array_elements_text(%s::jsonb)) AS tags,
           %s::uuid AS assignee_id,
           %s::uuid AS customer_id,
           %s::text AS author_type),
t AS (
    INSERT INTO tickets (org_id, number, title, description, priority, category,
                         product_area, source, tags, assignee_id, creator_id,
                         customer_id)
    SELECT p.org_id, nextval(o.ticket_seq::regclass), p.title, p.description,
           p.priority, p.category, p.product_area, p.source, p.tags,
           p.assignee_id, p.creator_id,
           coalesce(p.customer_id,
                    (SELECT c.id FROM customers c
                      WHERE c.user_id = p.creator_id AND c.org_id = p.org_id))
      FROM p JOIN organizations o ON o.id = p.org_id
    RETURNING *),
m AS (
    INSERT INTO ticket_messages (org_id, ticket_id, author_id, author_type, body,
                                 created_at)
    SELECT t.org_id, t.id, t.creator_id, p.author_type, t.description, t.created_at
      FROM t, p),
e AS (
    INSERT INTO ticket_events (org_id, ticket_id, actor_id, type, payload)
    SELECT t.org_id, t.id, t.creator_id, 'TICKET_CREATED',
           jsonb_build_object('after', tk_ticket_json(t))
      FROM t)
SELECT tk_ticket_json(t)::text, t.version FROM t

-- name: ticket_update
WITH p AS (
    SELECT %s::uuid AS id,
           %s::boolean AS set_title, %s::text AS title,
           %s::boolean AS set_description, %s::text AS description,
           %s::boolean AS set_priority, %s::text AS priority,
           %s::boolean AS set_category, %s::text AS category,
           %s::boolean AS set_product_area, %s::text AS product_area,
           %s::boolean AS set_tags, ARRAY(SELECT jsonb_array_elements_text(%s::jsonb)) AS tags,
           %s::boolean AS set_assignee, %s::uuid AS assignee_id)
UPDATE tickets t
   SET title = CASE WHEN p.set_title THEN p.title ELSE t.title END,
       description = CASE WHEN p.set_description THEN p.description ELSE t.description END,
       priority = CASE WHEN p.set_priority THEN p.priority ELSE t.priority END,
       category = CASE WHEN p.set_category THEN p.category ELSE t.category END,
       product_area = CASE WHEN p.set_product_area THEN p.product_area ELSE t.product_area END,
       tags = CASE WHEN p.set_tags THEN p.tags ELSE t.tags END,
       assignee_id = CASE WHEN p.set_assignee THEN p.assignee_id ELSE t.assignee_id END,
       version = t.version + 1,
       updated_at = now(),
       public_version = t.public_version + 1,
       public_updated_at = now()
  FROM p
 WHERE t.id = p.id
RETURNING tk_ticket_json(t)::text, t.version

-- name: ticket_set_status
UPDATE tickets t
   SET status = p.status,
       closed_at = CASE WHEN p.status = 'closed' THEN now() END,
       version = t.version + 1,
       updated_at = now(),
       public_version = t.public_version + 1,
       public_updated_at = now()
  FROM (SELECT %s::uuid AS id, %s::text AS status) p
 WHERE t.id = p.id
RETURNING tk_ticket_json(t)::text, t.version,
          tk_ticket_view(t, false)::text, t.public_version

-- name: ticket_delete
UPDATE tickets SET deleted_at = now(), version = version + 1, updated_at = now(),
                   public_version = public_version + 1, public_updated_at = now()
 WHERE id = %s::uuid
RETURNING version

-- name: staff_in_org
SELECT id FROM users
 WHERE id = %s::uuid AND org_id = %s::uuid AND role IN ('admin', 'agent')
   AND NOT disabled

-- name: customer_in_org
SELECT id FROM customers
 WHERE id = %s::uuid AND org_id = %s::uuid AND deleted_at IS NULL

-- name: event_insert
INSERT INTO ticket_events (org_id, ticket_id, actor_id, type, payload)
VALUES (%s::uuid, %s::uuid, %s::uuid, %s, %s::jsonb)

-- ---------------------------------------------------------------------
-- Ticket messages and audit trail
-- ---------------------------------------------------------------------

-- name: message_create
WITH p AS (
    SELECT %s::uuid AS ticket_id,
           %s::uuid AS author_id,
           %s::text AS author_type,
           %s::text AS body,
           %s::boolean AS internal),
t AS (
    UPDATE tickets t
       SET updated_at = now(), version = t.version + 1,
           public_updated_at = CASE WHEN p.internal THEN t.public_updated_at
                                    ELSE now() END,
           public_version = t.public_version + CASE WHEN p.internal THEN 0 ELSE 1 END
      FROM p WHERE t.id = p.ticket_id
    RETURNING t.id, t.org_id),
m AS (
    INSERT INTO ticket_messages (org_id, ticket_id, author_id, author_type, body, internal)
    SELECT t.org_id, t.id, p.author_id, p.author_type, p.body, p.internal
      FROM t, p
    RETURNING *),
e AS (
    INSERT INTO ticket_events (org_id, ticket_id, actor_id, type, payload)
    SELECT m.org_id, m.ticket_id, m.author_id, 'MESSAGE_ADDED',
           jsonb_build_object('messageId', m.id, 'authorType', m.author_type,
                              'internal', m.internal)
      FROM m)
SELECT tk_message_json(m)::text FROM m

-- name: ticket_events
SELECT tk_event_json(e)::text, count(*) OVER ()
  FROM ticket_events e
 WHERE e.ticket_id = %s::uuid AND e.org_id = %s::uuid
 ORDER BY e.id
 LIMIT %s::int OFFSET %s::int

-- ---------------------------------------------------------------------
-- Idempotency keys
-- ---------------------------------------------------------------------

-- name: idem_claim
INSERT INTO idempotency_keys AS k (user_id, key, request_hash)
VALUES (%s::uuid, %s, %s)
ON CONFLICT (user_id, key) DO UPDATE
   SET request_hash = EXCLUDED.request_hash, status = NULL, response = NULL,
       created_at = now()
 WHERE k.created_at < now() - %s::int * interval '1 second'
RETURNING 1

-- name: idem_get
SELECT request_hash, status, response
  FROM idempotency_keys
 WHERE user_id = %s::uuid AND key = %s

-- name: idem_purge
-- One user's expired keys; run now and then by a creating request.
DELETE FROM idempotency_keys
 WHERE user_id = %s::uuid AND created_at < now() - %s::int * interval '1 second'

-- name: idem_store
UPDATE idempotency_keys SET status = %s::int, response = %s
 WHERE user_id = %s::uuid AND key = %s

-- name: ticket_resolve
WITH p AS (
    SELECT %s::uuid AS org_id,
           %s::uuid AS id,
           %s::int AS number)
SELECT t.id, t.version
  FROM p, tickets t
 WHERE t.org_id = p.org_id AND t.deleted_at IS NULL
   AND (t.id = p.id OR t.number = p.number)

-- ---------------------------------------------------------------------
-- Live events (mod_tickets_events.c)
-- ---------------------------------------------------------------------

-- name: stream_event_ticket
-- A ticket's live event, written in the transaction of its change (see
-- sql/migrations/004_stream_events.sql).  The customer users who may see
-- it (SPEC section 9) are read here too: the ticket's creator when a
-- customer, and the user linked to its customer record.
INSERT INTO stream_events (org_id, type, ticket_id, audience0, audience1,
                           staff_only, data)
SELECT t.org_id, p.type, t.id,
       (SELECT u.id FROM users u WHERE u.id = t.creator_id AND u.role = 'customer'),
       (SELECT c.user_id FROM customers c WHERE c.id = t.customer_id),
       p.staff_only, p.data
  FROM (SELECT %s::uuid AS id, %s::text AS type, %s::boolean AS staff_only,
               %s::text AS data) p
  JOIN tickets t ON t.id = p.id

-- name: stream_wake
-- After a commit that wrote live events: wake every host's relay.  A
-- transaction of its own, committed without waiting for its WAL flush
-- (set_config(..., true) lasts until the end of this one-statement
-- transaction, commit included): it changes no data, and a lost
-- notification only delays an event until the relay's next read (1 s).
SELECT set_config('synchronous_commit', 'off', true),
       pg_notify('tickets_stream', '')

-- name: stream_event_revoked
-- A credential (session or API token) was revoked: the streams it opened
-- end.  Staff-only, and never sent to any client.
INSERT INTO stream_events (org_id, type, staff_only, data)
VALUES (%s::uuid, 'credential_revoked', true, %s)

-- name: stream_events_after
-- Live events after the position (xid, id), in position order.  ready is
-- false from the first row whose transaction is not yet below the
-- snapshot's xmin: rows from there on may still have earlier company and
-- must be read again later.  data is given only for the organization
-- asked for (NULL: every organization), so a resuming stream reads the
-- positions of other organizations' events without their contents.
SELECT e.xid::text, e.id, e.xid < s.xmin, e.org_id, e.type, e.ticket_id,
       e.conversation_id, e.audience0, e.audience1, e.staff_only,
       CASE WHEN p.org_id IS NULL OR e.org_id = p.org_id THEN e.data END,
       (extract(epoch FROM e.created_at) * 1000000)::bigint
  FROM (SELECT %s::xid8 AS xid, %s::bigint AS id, %s::uuid AS org_id,
               %s::int AS n) p,
       LATERAL (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin) s,
       LATERAL (SELECT * FROM stream_events e
                 WHERE (e.xid, e.id) > (p.xid, p.id)
                 ORDER BY e.xid, e.id
                 LIMIT p.n) e
 ORDER BY e.xid, e.id

-- name: stream_event_newest
-- The position of the newest live event that is safe to start after.
SELECT e.xid::text, e.id
  FROM stream_events e
 WHERE e.xid < pg_snapshot_xmin(pg_current_snapshot())
 ORDER BY e.xid DESC, e.id DESC
 LIMIT 1

-- name: stream_event_exists
SELECT 1 FROM stream_events WHERE xid = %s::xid8 AND id = %s::bigint

-- name: stream_event_purge
-- Live events past TicketsEventRetention; run by the relay once a minute.
DELETE FROM stream_events
 WHERE created_at < now() - %s::int * interval '1 second'
