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
DELETE FROM sessions WHERE token_hash = %s

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
-- Users of an organization (handlers/users.c)
-- ---------------------------------------------------------------------

-- name: user_list
WITH p AS (SELECT %s::uuid AS org_id, %s::text AS role, %s::text AS q,
                  %s::int AS lim, %s::int AS off)
SELECT tk_user_admin_json(u)::text, count(*) OVER ()
  FROM p JOIN users u ON u.org_id = p.org_id
 WHERE (p.role IS NULL OR u.role = p.role)
   AND (p.q IS NULL OR strpos(lower(u.email), lower(p.q)) > 0
        OR strpos(lower(u.name), lower(p.q)) > 0)
 ORDER BY u.created_at, u.id
 LIMIT (SELECT lim FROM p) OFFSET (SELECT off FROM p)

-- name: user_get
SELECT tk_user_admin_json(u)::text, u.version
  FROM users u
 WHERE u.id = %s::uuid AND u.org_id = %s::uuid

-- name: user_create
-- Emails are unique across organizations (they sign in): none is made
-- when the email is taken.
INSERT INTO users (org_id, email, name, role, password_hash)
VALUES (%s::uuid, %s, %s, %s, %s)
ON CONFLICT ((lower(email))) DO NOTHING
RETURNING tk_user_admin_json(users)::text, version, id

-- name: user_lock
-- The user, locked, after the organization's row: changes to one
-- organization's users are taken one after the other, so two admins
-- demoting each other cannot lock each other's rows in opposite orders.
-- FOR NO KEY UPDATE: rows that refer to the organization (tickets...) are
-- still written meanwhile.
WITH p AS (SELECT %s::uuid AS id, %s::uuid AS org_id),
o AS (SELECT o.id FROM organizations o, p WHERE o.id = p.org_id
         FOR NO KEY UPDATE)
SELECT u.id, u.version, u.role, u.disabled
  FROM users u, p, o
 WHERE u.id = p.id AND u.org_id = o.id
   FOR UPDATE OF u

-- name: user_admins_lock
-- The organization's active admins, locked (after user_lock, which took
-- the organization's row): the last one stays.
SELECT u.id
  FROM users u
 WHERE u.org_id = %s::uuid AND u.role = 'admin' AND NOT u.disabled
   FOR UPDATE

-- name: user_update
UPDATE users u
   SET name = CASE WHEN p.set_name THEN p.name ELSE u.name END,
       role = coalesce(p.role, u.role),
       disabled = coalesce(p.disabled, u.disabled),
       password_hash = CASE WHEN p.set_password THEN p.password_hash
                            ELSE u.password_hash END,
       version = u.version + 1,
       updated_at = now()
  FROM (SELECT %s::uuid AS id, %s::boolean AS set_name, %s::text AS name,
               %s::text AS role, %s::boolean AS disabled,
               %s::boolean AS set_password, %s::text AS password_hash) p
 WHERE u.id = p.id
RETURNING tk_user_admin_json(u)::text, u.version

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
          'articles', tk_ticket_articles(t.id, p.staff),
          'attachments', tk_ticket_attachments(t.id, p.staff),
          -- a customer sees the people on the ticket by name only: no
          -- staff member's email or role
          'creator', (SELECT CASE WHEN p.staff THEN tk_user_json(u)
                                  ELSE jsonb_build_object('id', u.id, 'name', u.name) END
                        FROM users u WHERE u.id = t.creator_id),
          'assignee', (SELECT CASE WHEN p.staff THEN tk_user_json(u)
                                   ELSE jsonb_build_object('id', u.id, 'name', u.name) END
                         FROM users u WHERE u.id = t.assignee_id)))::text,
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
           %s::text AS author_type,
           %s::uuid AS chat_session_id),
t AS (
    INSERT INTO tickets (org_id, number, title, description, priority, category,
                         product_area, source, tags, assignee_id, creator_id,
                         customer_id, chat_session_id)
    SELECT p.org_id, nextval(o.ticket_seq::regclass), p.title, p.description,
           p.priority, p.category, p.product_area, p.source, p.tags,
           p.assignee_id, p.creator_id,
           coalesce(p.customer_id,
                    (SELECT c.id FROM customers c
                      WHERE c.user_id = p.creator_id AND c.org_id = p.org_id)),
           p.chat_session_id
      FROM p JOIN organizations o ON o.id = p.org_id
    RETURNING *),
m AS (
    INSERT INTO ticket_messages (org_id, ticket_id, author_id, author_type, content,
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
           %s::text AS content,
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
    INSERT INTO ticket_messages (org_id, ticket_id, author_id, author_type, content, internal)
    SELECT t.org_id, t.id, p.author_id, p.author_type, p.content, p.internal
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

-- name: idem_store
UPDATE idempotency_keys SET status = %s::int, response = %s
 WHERE user_id = %s::uuid AND key = %s

-- name: ticket_resolve
-- A ticket of the organization by uuid or number; for a customer
-- (own_user) only among their own tickets.
WITH p AS (
    SELECT %s::uuid AS org_id,
           %s::uuid AS own_user,
           %s::uuid AS id,
           %s::int AS number)
SELECT t.id, t.version
  FROM p, tickets t
 WHERE t.org_id = p.org_id AND t.deleted_at IS NULL
   AND (t.id = p.id OR t.number = p.number)
   AND (p.own_user IS NULL OR t.creator_id = p.own_user
        OR t.customer_id IN (SELECT c.id FROM customers c WHERE c.user_id = p.own_user))

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

-- name: wake
-- After a commit that wrote live events (first argument true) or enqueued
-- jobs (second): wake every host's relay, or its job workers.  A
-- transaction of its own, committed without waiting for its WAL flush
-- (set_config(..., true) lasts until the end of this one-statement
-- transaction, commit included): it changes no data, and a lost
-- notification only delays an event until the relay's next read (1 s) or
-- a job until the workers' next look (TicketsJobPollInterval).
SELECT set_config('synchronous_commit', 'off', true),
       CASE WHEN %s::boolean THEN pg_notify('tickets_stream', '') END,
       CASE WHEN %s::boolean THEN pg_notify('tickets_jobs', '') END

-- name: stream_event_revoked
-- A credential (session or API token) was revoked: the streams it opened
-- end.  Staff-only, and never sent to any client.
INSERT INTO stream_events (org_id, type, staff_only, data)
VALUES (%s::uuid, 'credential_revoked', true, %s)

-- name: stream_events_after
-- Live events after the position (xid, id), in position order: at most n,
-- and no more rows than keep the data read under a budget of bytes (the
-- first row always comes).  ready is false from the first row whose
-- transaction is not yet below the snapshot's xmin: rows from there on
-- may still have earlier company and must be read again later.  data is
-- given only for the organization asked for (NULL: every organization),
-- so a resuming stream reads the positions of other organizations' events
-- without their contents.  wakes_jobs: the event's transaction made webhook
-- deliveries (011), and the relay wakes the job workers.
SELECT e.xid::text, e.id, e.xid < s.xmin, e.org_id, e.type, e.ticket_id,
       e.conversation_id, e.audience0, e.audience1, e.staff_only, e.data,
       (extract(epoch FROM e.created_at) * 1000000)::bigint, e.wakes_jobs
  FROM (SELECT %s::xid8 AS xid, %s::bigint AS id, %s::uuid AS org_id,
               %s::int AS n, %s::bigint AS budget) p,
       LATERAL (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin) s,
       LATERAL (SELECT x.*, sum(coalesce(octet_length(x.data), 0))
                            OVER (ORDER BY x.xid, x.id) AS upto
                  FROM (SELECT e.xid, e.id, e.org_id, e.type, e.ticket_id,
                               e.conversation_id, e.audience0, e.audience1,
                               e.staff_only, e.created_at, e.wakes_jobs,
                               CASE WHEN p.org_id IS NULL OR e.org_id = p.org_id
                                    THEN e.data END AS data
                          FROM stream_events e
                         WHERE (e.xid, e.id) > (p.xid, p.id)
                         ORDER BY e.xid, e.id
                         LIMIT p.n) x) e
 WHERE e.upto - coalesce(octet_length(e.data), 0) < p.budget
 ORDER BY e.xid, e.id

-- name: stream_event_newest_of
-- The newest live event of an organization that is safe to start after.
SELECT e.xid::text, e.id
  FROM stream_events e
 WHERE e.org_id = %s::uuid
   AND e.xid < pg_snapshot_xmin(pg_current_snapshot())
 ORDER BY e.org_id DESC, e.xid DESC, e.id DESC
 LIMIT 1

-- name: stream_event_newest
-- The position of the newest live event that is safe to start after.
SELECT e.xid::text, e.id
  FROM stream_events e
 WHERE e.xid < pg_snapshot_xmin(pg_current_snapshot())
 ORDER BY e.xid DESC, e.id DESC
 LIMIT 1

-- name: stream_event_exists
SELECT 1 FROM stream_events WHERE xid = %s::xid8 AND id = %s::bigint

-- ---------------------------------------------------------------------
-- Purges (work/tk_purge.c): each removes at most one batch of rows past
-- their time, oldest first; the job runs again while batches come full.
-- ---------------------------------------------------------------------

-- name: purge_sessions
DELETE FROM sessions
 WHERE id IN (SELECT id FROM sessions WHERE expires_at < now()
               ORDER BY expires_at LIMIT %s::int)

-- name: purge_idempotency
DELETE FROM idempotency_keys
 WHERE (user_id, key) IN (
       SELECT user_id, key FROM idempotency_keys
        WHERE created_at < now() - %s::int * interval '1 second'
        ORDER BY created_at LIMIT %s::int)

-- name: purge_stream_events
-- Live events past TicketsEventRetention.
DELETE FROM stream_events
 WHERE (xid, id) IN (
       SELECT xid, id FROM stream_events
        WHERE created_at < now() - %s::int * interval '1 second'
        ORDER BY created_at LIMIT %s::int)

-- name: purge_jobs
-- Finished jobs (done or failed) past TicketsJobRetention.
DELETE FROM jobs
 WHERE id IN (SELECT id FROM jobs
               WHERE state IN ('done', 'failed')
                 AND finished_at < now() - %s::int * interval '1 second'
               ORDER BY kind, finished_at LIMIT %s::int)

-- ---------------------------------------------------------------------
-- The job queue (work/tk_jobs.c, sql/migrations/005_jobs.sql)
-- ---------------------------------------------------------------------

-- name: job_enqueue
-- Inside the transaction of the change that needs the job.
INSERT INTO jobs (org_id, kind, payload, run_at, max_attempts)
SELECT p.org_id, p.kind, coalesce(p.payload, '{}'),
       now() + p.delay * interval '1 second', coalesce(p.max_attempts, 5)
  FROM (SELECT %s::uuid AS org_id, %s::text AS kind, %s::jsonb AS payload,
               %s::int AS delay, %s::int AS max_attempts) p
RETURNING id

-- name: job_schedule
-- The periodic jobs (kinds and intervals in seconds, in two parallel
-- lists): one unfinished job of each at all times, due one interval after
-- the last one finished.  Run by every worker now and then; the unique
-- index keeps a second one from being made.
INSERT INTO jobs (kind, unique_key, run_at, max_attempts)
SELECT k.kind, 'periodic:' || k.kind,
       greatest(now(), (SELECT max(j.finished_at) FROM jobs j
                         WHERE j.kind = k.kind AND j.state IN ('done', 'failed'))
                       + k.every * interval '1 second'),
       1
  FROM unnest(string_to_array(%s, ','), string_to_array(%s, ',')::int[])
       AS k(kind, every)
ON CONFLICT (unique_key) WHERE state IN ('queued', 'running', 'retrying')
DO NOTHING

-- name: job_rescue
-- Jobs whose worker stopped (died, or was killed) before it finished:
-- their lease ran out.  The attempt counts; the job runs again, or fails
-- when that was its last.
UPDATE jobs
   SET state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'retrying' END,
       last_error = 'The worker running it stopped before it finished (lease expired).',
       lease_holder = NULL, lease_expires = NULL, run_at = now(),
       finished_at = CASE WHEN attempts >= max_attempts THEN now() END
 WHERE state = 'running' AND lease_expires < now()

-- name: job_claim
-- The next ready job of the kinds this worker runs (a comma list), leased
-- to it.  SKIP LOCKED: workers never wait for each other, and never take
-- the same job.
WITH p AS (SELECT %s::text AS holder, %s::int AS lease,
                  string_to_array(%s, ',') AS kinds),
next AS (
    SELECT j.id
      FROM jobs j, p
     WHERE j.state IN ('queued', 'retrying') AND j.run_at <= now()
       AND j.kind = ANY (p.kinds)
     ORDER BY j.run_at
     LIMIT 1
       FOR UPDATE OF j SKIP LOCKED)
UPDATE jobs j
   SET state = 'running', attempts = j.attempts + 1, lease_holder = p.holder,
       lease_expires = now() + p.lease * interval '1 second',
       started_at = coalesce(j.started_at, now())
  FROM next, p
 WHERE j.id = next.id
RETURNING j.id, j.kind, j.payload::text, j.attempts, j.max_attempts,
          (extract(epoch FROM now() - j.created_at) * 1000000)::bigint

-- name: job_next_due
-- Milliseconds until the next job of these kinds is due (negative: one is
-- due now), NULL when none waits.
SELECT (extract(epoch FROM min(j.run_at) - now()) * 1000)::bigint
  FROM jobs j
 WHERE j.state IN ('queued', 'retrying')
   AND j.kind = ANY (string_to_array(%s, ','))

-- name: job_done
-- In the job's transaction, with what its function wrote: only while this
-- worker still holds the lease (else another has taken the job over, and
-- this attempt's writes roll back).
UPDATE jobs
   SET state = 'done', finished_at = now(), lease_holder = NULL,
       lease_expires = NULL, last_error = NULL
 WHERE id = %s::uuid AND lease_holder = %s AND state = 'running'

-- name: job_failed
-- A failed attempt: retry after the delay given, or mark the job failed
-- when that was its last attempt (or the function said it is hopeless).
UPDATE jobs j
   SET state = CASE WHEN p.hopeless OR j.attempts >= j.max_attempts
                    THEN 'failed' ELSE 'retrying' END,
       finished_at = CASE WHEN p.hopeless OR j.attempts >= j.max_attempts
                          THEN now() END,
       run_at = now() + p.delay * interval '1 second',
       last_error = p.error, lease_holder = NULL, lease_expires = NULL
  FROM (SELECT %s::uuid AS id, %s::text AS holder, %s::float8 AS delay,
               %s::text AS error, %s::boolean AS hopeless) p
 WHERE j.id = p.id AND j.lease_holder = p.holder AND j.state = 'running'
RETURNING j.state

-- name: job_stats
-- Jobs by kind and state: of one organization, or (NULL) of the host.
SELECT j.kind, j.state, count(*)
  FROM (SELECT %s::uuid AS org_id) p, jobs j
 WHERE p.org_id IS NULL OR j.org_id = p.org_id
 GROUP BY j.kind, j.state
 ORDER BY j.kind, j.state
