-- subscriptions.sql: the statements of /api/webhooks (the organization's
-- outbound webhook subscriptions and their deliveries) and of the
-- delivery jobs (work/tk_deliver.c); see
-- sql/migrations/011_webhook_subscriptions.sql.

-- name: webhook_list
WITH p AS (SELECT %s::uuid AS org_id, %s::boolean AS enabled,
                  %s::int AS lim, %s::int AS off)
SELECT tk_webhook_json(s)::text, count(*) OVER ()
  FROM p JOIN webhook_subscriptions s ON s.org_id = p.org_id
 WHERE s.deleted_at IS NULL
   AND (p.enabled IS NULL OR s.enabled = p.enabled)
 ORDER BY s.created_at, s.id
 LIMIT (SELECT lim FROM p) OFFSET (SELECT off FROM p)

-- name: webhook_get
SELECT tk_webhook_json(s)::text, s.version
  FROM webhook_subscriptions s
 WHERE s.id = %s::uuid AND s.org_id = %s::uuid AND s.deleted_at IS NULL

-- name: webhook_create
INSERT INTO webhook_subscriptions (org_id, url, events, enabled, secret)
VALUES (%s::uuid, %s, string_to_array(%s, ','), %s::boolean, %s)
RETURNING tk_webhook_json(webhook_subscriptions)::text, version, id

-- name: webhook_lock
SELECT s.id, s.version
  FROM webhook_subscriptions s
 WHERE s.id = %s::uuid AND s.org_id = %s::uuid AND s.deleted_at IS NULL
   FOR NO KEY UPDATE

-- name: webhook_update
-- Enabling a subscription again clears why it was disabled.
UPDATE webhook_subscriptions s
   SET url = coalesce(p.url, s.url),
       events = coalesce(string_to_array(p.events, ','), s.events),
       enabled = coalesce(p.enabled, s.enabled),
       disabled_reason = CASE WHEN coalesce(p.enabled, s.enabled)
                              THEN NULL ELSE s.disabled_reason END,
       version = s.version + 1,
       updated_at = now()
  FROM (SELECT %s::uuid AS id, %s::text AS url, %s::text AS events,
               %s::boolean AS enabled) p
 WHERE s.id = p.id
RETURNING tk_webhook_json(s)::text, s.version

-- name: webhook_rotate
-- The new secret signs from now on; the one it replaces signs too until
-- the overlap (seconds) has passed.  A rotation during an overlap drops
-- the oldest.
UPDATE webhook_subscriptions s
   SET previous_secret = s.secret,
       previous_expires_at = now() + p.overlap * interval '1 second',
       secret = p.secret,
       version = s.version + 1,
       updated_at = now()
  FROM (SELECT %s::uuid AS id, %s::text AS secret, %s::int AS overlap) p
 WHERE s.id = p.id
RETURNING tk_webhook_json(s)::text, s.version

-- name: webhook_delete
-- Its deliveries stay for the record; those still pending fail when their
-- job runs.
UPDATE webhook_subscriptions
   SET deleted_at = now(), enabled = false, updated_at = now(),
       version = version + 1
 WHERE id = %s::uuid

-- name: webhook_test
-- A webhook.test delivery to the subscription, enabled or not, with its
-- job.
WITH p AS (SELECT %s::uuid AS sub_id, %s::uuid AS org_id)
SELECT tk_delivery_json(tk_webhook_deliver(p.sub_id, p.org_id, 'webhook.test',
                                           jsonb_build_object('subscriptionId', p.sub_id),
                                           now(), NULL))::text, 0
  FROM p

-- name: delivery_list
WITH p AS (SELECT %s::uuid AS sub_id, %s::uuid AS org_id, %s::text AS state,
                  %s::int AS lim, %s::int AS off)
SELECT tk_delivery_json(d)::text, count(*) OVER ()
  FROM p JOIN webhook_deliveries d ON d.subscription_id = p.sub_id
 WHERE d.org_id = p.org_id
   AND (p.state IS NULL OR d.state = p.state)
 ORDER BY d.created_at DESC, d.id
 LIMIT (SELECT lim FROM p) OFFSET (SELECT off FROM p)

-- name: delivery_get
SELECT tk_delivery_json(d)::text, d.attempts
  FROM webhook_deliveries d
 WHERE d.id = %s::uuid AND d.org_id = %s::uuid

-- name: delivery_replay
-- A delivered or failed delivery goes again, with the same webhook-id and
-- body, under a new job (its subscription must not be deleted, nor
-- disabled but for a test ping, which goes to a disabled one too).  No
-- row when it is pending (its job still has it) or gone.
UPDATE webhook_deliveries d
   SET state = 'pending', job_id = tk_webhook_job(d.org_id, d.id),
       next_attempt_at = now(), last_error = NULL
 WHERE d.id = %s::uuid AND d.org_id = %s::uuid AND d.state <> 'pending'
   AND EXISTS (SELECT 1 FROM webhook_subscriptions s
                WHERE s.id = d.subscription_id AND s.deleted_at IS NULL
                  AND (s.enabled OR d.event_type = 'webhook.test'))
RETURNING tk_delivery_json(d)::text, d.attempts

-- name: delivery_state
-- Why a delivery cannot be replayed: its state, whether its subscription
-- was deleted, and whether it is disabled (for any but a test ping).
SELECT d.state, s.deleted_at IS NOT NULL,
       NOT s.enabled AND d.event_type <> 'webhook.test'
  FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
 WHERE d.id = %s::uuid AND d.org_id = %s::uuid

-- ---------------------------------------------------------------------
-- The delivery jobs (work/tk_deliver.c)
-- ---------------------------------------------------------------------

-- name: delivery_load
-- What an attempt needs: the delivery, where it goes and the secrets that
-- sign it (the previous one only while its overlap lasts).
SELECT d.state, tk_webhook_message_id(d.id), d.body, d.event_type,
       s.url, s.secret,
       CASE WHEN s.previous_expires_at > now() THEN s.previous_secret END,
       s.enabled, s.deleted_at IS NOT NULL, d.job_id
  FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
 WHERE d.id = %s::uuid

-- name: delivery_outcome
-- The outcome of one attempt, by the job that holds the delivery (a
-- replayed delivery's older job records nothing): the delivery, its audit
-- row (delivered_at, delivery_attempts, last_error) and its subscription
-- (last delivered or failed, and disabled after a 410).  A delivered one
-- stays so; one delivered before and replayed keeps when it was first
-- delivered, whatever the replay's outcome.  No row: a newer job holds
-- the delivery, or it is no longer pending.
WITH p AS (SELECT %s::uuid AS id, %s::uuid AS job_id, %s::text AS state,
                  %s::int AS status, %s::text AS response, %s::text AS error,
                  %s::float8 AS next_in, %s::boolean AS disable),
d AS (
    UPDATE webhook_deliveries d
       SET state = p.state, attempts = d.attempts + 1,
           last_status = p.status, last_response = p.response,
           last_error = CASE WHEN p.state = 'delivered' THEN NULL ELSE p.error END,
           last_attempt_at = now(),
           next_attempt_at = CASE WHEN p.state = 'pending'
                                  THEN now() + p.next_in * interval '1 second' END,
           delivered_at = CASE WHEN p.state = 'delivered'
                               THEN coalesce(d.delivered_at, now())
                               ELSE d.delivered_at END
      FROM p
     WHERE d.id = p.id AND d.job_id = p.job_id AND d.state = 'pending'
    RETURNING d.*),
e AS (
    UPDATE ticket_events e
       SET delivery_attempts = e.delivery_attempts + 1,
           delivered_at = CASE WHEN d.state = 'delivered'
                               THEN coalesce(e.delivered_at, now())
                               ELSE e.delivered_at END,
           last_error = CASE WHEN d.state = 'delivered' THEN e.last_error
                             ELSE d.last_error END
      FROM d
     WHERE e.id = d.ticket_event_id
    RETURNING 1),
s AS (
    UPDATE webhook_subscriptions s
       SET last_delivered_at = CASE WHEN d.state = 'delivered' THEN now()
                                    ELSE s.last_delivered_at END,
           last_failed_at = CASE WHEN d.state = 'failed' THEN now()
                                 ELSE s.last_failed_at END,
           last_error = CASE WHEN d.state = 'failed' THEN d.last_error
                             ELSE s.last_error END,
           enabled = s.enabled AND NOT p.disable,
           disabled_reason = CASE WHEN p.disable AND s.enabled
                                  THEN d.last_error ELSE s.disabled_reason END,
           version = s.version + CASE WHEN p.disable AND s.enabled THEN 1 ELSE 0 END
      FROM d, p
     WHERE s.id = d.subscription_id AND d.state <> 'pending'
    RETURNING 1)
SELECT d.state, (SELECT count(*) FROM e), (SELECT count(*) FROM s) FROM d

-- name: delivery_sweep
-- Deliveries whose job ended without an outcome (it died on its last
-- attempt, or was purged) are failed, so none stays pending unseen; they
-- can be replayed, and their audit rows and subscriptions show it as
-- delivery_outcome's failures do.  At most 500 a run; the count comes back.
WITH stuck AS (
    SELECT d.id FROM webhook_deliveries d
     WHERE d.state = 'pending'
       AND NOT EXISTS (SELECT 1 FROM jobs j
                        WHERE j.id = d.job_id
                          AND j.state IN ('queued', 'running', 'retrying'))
     LIMIT 500
       FOR UPDATE OF d SKIP LOCKED),
d AS (
    UPDATE webhook_deliveries d
       SET state = 'failed', next_attempt_at = NULL,
           last_error = 'The delivery stopped before the receiver''s answer '
                        'was known; replay it.'
      FROM stuck
     WHERE d.id = stuck.id AND d.state = 'pending'
    RETURNING d.ticket_event_id, d.subscription_id, d.last_error),
e AS (
    UPDATE ticket_events e SET last_error = d.last_error
      FROM d
     WHERE e.id = d.ticket_event_id
    RETURNING 1),
s AS (
    UPDATE webhook_subscriptions s
       SET last_failed_at = now(), last_error = d.last_error
      FROM d
     WHERE s.id = d.subscription_id
    RETURNING 1)
SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM e), (SELECT count(*) FROM s)
