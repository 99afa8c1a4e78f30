-- ai.sql: the statements of the AI layer (work/tk_ai.c, work/tk_copilot.c,
-- handlers/copilot.c, handlers/ai.c).  Tables in sql/migrations/013_ai.sql.

-- ---------------------------------------------------------------------
-- Calls: budget, cache, ledger (work/tk_ai.c)
-- ---------------------------------------------------------------------

-- name: ai_budget_left
-- The organization's monthly budget (NULL: none) and what this month used.
SELECT o.ai_monthly_tokens, tk_ai_month_tokens(o.id)
  FROM organizations o
 WHERE o.id = %s::uuid

-- name: ai_cache_get
-- An answer kept for the same redacted request, if it has not expired.
SELECT c.answer, c.prompt_tokens, c.completion_tokens
  FROM ai_cache c
 WHERE c.org_id = %s::uuid AND c.key = %s AND c.expires_at > now()

-- name: ai_cache_put
-- Keep an answer for ttl seconds (the newer one wins).
INSERT INTO ai_cache (org_id, key, answer, prompt_tokens, completion_tokens,
                      expires_at)
VALUES (%s::uuid, %s, %s, %s::int, %s::int, now() + %s::int * interval '1 second')
ON CONFLICT (org_id, key) DO UPDATE
   SET answer = EXCLUDED.answer, prompt_tokens = EXCLUDED.prompt_tokens,
       completion_tokens = EXCLUDED.completion_tokens,
       expires_at = EXCLUDED.expires_at, created_at = now()

-- name: ai_cache_purge
-- Expired answers go (the purge job, purge.ai_cache), a batch at a time.
DELETE FROM ai_cache
 WHERE (org_id, key) IN (SELECT org_id, key FROM ai_cache WHERE expires_at <= now()
                          ORDER BY expires_at LIMIT %s::int)

-- name: ai_call_record
-- One row of the ledger.
INSERT INTO ai_calls (org_id, user_id, ticket_id, conversation_id,
                      chat_session_id, purpose, model, prompt_tokens,
                      completion_tokens, estimated, cached, latency_ms,
                      attempts, outcome, error)
VALUES (%s::uuid, %s::uuid, %s::uuid, %s::uuid, %s::uuid, %s, %s, %s::int,
        %s::int, %s::boolean, %s::boolean, %s::int, %s::int, %s, %s)

-- ---------------------------------------------------------------------
-- Usage and budget (handlers/ai.c)
-- ---------------------------------------------------------------------

-- name: ai_usage
-- One month (YYYY-MM, UTC) of the ledger: totals, and by purpose, model
-- and user, each with calls, cached calls and tokens; and the budget.
WITH p AS (SELECT %s::uuid AS org_id,
                  (%s || '-01')::date::timestamp AT TIME ZONE 'UTC' AS since),
c AS (SELECT a.* FROM ai_calls a, p
       WHERE a.org_id = p.org_id AND a.created_at >= p.since
         AND a.created_at < (p.since AT TIME ZONE 'UTC' + interval '1 month')
                            AT TIME ZONE 'UTC'),
g AS (SELECT 'purpose' AS dim, c.purpose AS k, c.* FROM c
      UNION ALL SELECT 'model', c.model, c.* FROM c
      UNION ALL SELECT 'user', coalesce(c.user_id::text, 'none'), c.* FROM c),
agg AS (SELECT dim, jsonb_object_agg(k, v) AS by
          FROM (SELECT dim, k, jsonb_build_object(
                    'calls', count(*), 'cached', count(*) FILTER (WHERE cached),
                    'errors', count(*) FILTER (WHERE outcome = 'error'),
                    'promptTokens', sum(prompt_tokens),
                    'completionTokens', sum(completion_tokens),
                    'tokens', sum(prompt_tokens + completion_tokens)) AS v
                  FROM g GROUP BY dim, k) x
         GROUP BY dim)
SELECT jsonb_build_object(
    'month', to_char(p.since AT TIME ZONE 'UTC', 'YYYY-MM'),
    'budget', (SELECT o.ai_monthly_tokens FROM organizations o WHERE o.id = p.org_id),
    'calls', (SELECT count(*) FROM c),
    'cached', (SELECT count(*) FROM c WHERE cached),
    'errors', (SELECT count(*) FROM c WHERE outcome = 'error'),
    'promptTokens', (SELECT coalesce(sum(prompt_tokens), 0) FROM c),
    'completionTokens', (SELECT coalesce(sum(completion_tokens), 0) FROM c),
    'tokens', (SELECT coalesce(sum(prompt_tokens + completion_tokens), 0) FROM c),
    'byPurpose', coalesce((SELECT by FROM agg WHERE dim = 'purpose'), '{}'),
    'byModel', coalesce((SELECT by FROM agg WHERE dim = 'model'), '{}'),
    'byUser', coalesce((SELECT by FROM agg WHERE dim = 'user'), '{}'))::text
  FROM p

-- name: ai_budget_get
SELECT jsonb_build_object('monthlyTokens', o.ai_monthly_tokens,
                          'usedThisMonth', tk_ai_month_tokens(o.id))::text
  FROM organizations o
 WHERE o.id = %s::uuid

-- name: ai_budget_set
-- NULL: no budget.
UPDATE organizations o SET ai_monthly_tokens = %s::bigint
 WHERE o.id = %s::uuid
RETURNING jsonb_build_object('monthlyTokens', o.ai_monthly_tokens,
                             'usedThisMonth', tk_ai_month_tokens(o.id))::text

-- ---------------------------------------------------------------------
-- Copilot suggestions (handlers/copilot.c, work/tk_copilot.c)
-- ---------------------------------------------------------------------

-- name: suggestion_create
-- A queued suggestion for a ticket of the organization, with the job that
-- runs it and its copilot_job_updated; no row when there is no such
-- ticket.
WITH p AS (SELECT %s::uuid AS ticket_id, %s::uuid AS org_id, %s::uuid AS user_id,
                  %s::text AS kind, %s::jsonb AS request, gen_random_uuid() AS id),
t AS (SELECT t.id FROM tickets t, p
       WHERE t.id = p.ticket_id AND t.org_id = p.org_id AND t.deleted_at IS NULL),
s AS (INSERT INTO ai_suggestions (id, org_id, ticket_id, user_id, kind, request, job_id)
      SELECT p.id, p.org_id, t.id, p.user_id, p.kind, p.request,
             tk_copilot_job(p.org_id, p.id)
        FROM p, t
      RETURNING *),
e AS (SELECT tk_suggestion_event(s) FROM s)
SELECT s.id, tk_suggestion_json(s)::text, (SELECT count(*) FROM e) FROM s

-- name: suggestion_get
SELECT tk_suggestion_json(s)::text
  FROM ai_suggestions s
 WHERE s.id = %s::uuid AND s.org_id = %s::uuid

-- name: suggestion_list
-- A ticket's suggestions, newest first; NULL when there is no such ticket.
SELECT CASE WHEN t.id IS NULL THEN NULL ELSE
       (SELECT coalesce(jsonb_agg(tk_suggestion_json(s) ORDER BY s.created_at DESC, s.id), '[]')
          FROM (SELECT * FROM ai_suggestions s
                 WHERE s.ticket_id = t.id
                   AND (%s::text IS NULL OR s.kind = %s::text)
                 ORDER BY s.created_at DESC, s.id
                 LIMIT %s::int OFFSET %s::int) s)::text END
  FROM (SELECT %s::uuid AS id, %s::uuid AS org_id) p
  LEFT JOIN tickets t ON t.id = p.id AND t.org_id = p.org_id AND t.deleted_at IS NULL

-- name: suggestion_start
-- A worker takes a queued (or, after a lost worker, running) suggestion:
-- running, with its event.  What the job needs comes back; no row when it
-- is finished.
WITH s AS (
    UPDATE ai_suggestions s SET state = 'running', updated_at = now()
     WHERE s.id = %s::uuid AND s.state IN ('queued', 'running')
    RETURNING *),
e AS (SELECT tk_suggestion_event(s) FROM s)
SELECT s.org_id, s.ticket_id, s.user_id, s.kind, s.request::text,
       (SELECT u.role FROM users u
         WHERE u.id = s.user_id AND u.org_id = s.org_id AND NOT u.disabled),
       (SELECT count(*) FROM e)
  FROM s

-- name: suggestion_finish
-- The outcome: success with its content, or error with its message; the
-- event goes with it.
WITH s AS (
    UPDATE ai_suggestions s
       SET state = %s, content = %s::jsonb, error = %s, model = %s,
           prompt_tokens = %s::int, completion_tokens = %s::int,
           updated_at = now()
     WHERE s.id = %s::uuid AND s.state = 'running'
    RETURNING *),
e AS (SELECT tk_suggestion_event(s) FROM s)
SELECT s.state, (SELECT count(*) FROM e) FROM s

-- name: suggestion_sweep
-- Suggestions whose job ended without an outcome (a worker died on its
-- last attempt) end in error, so that none stays queued or running.
WITH stuck AS (
    SELECT s.id FROM ai_suggestions s
     WHERE s.state IN ('queued', 'running')
       AND s.created_at < now() - interval '1 minute'
       AND NOT EXISTS (SELECT 1 FROM jobs j
                        WHERE j.id = s.job_id
                          AND j.state IN ('queued', 'running', 'retrying'))
     LIMIT 500
       FOR UPDATE OF s SKIP LOCKED),
s AS (
    UPDATE ai_suggestions s
       SET state = 'error', updated_at = now(),
           error = 'The job stopped before it had an answer; ask again.'
      FROM stuck WHERE s.id = stuck.id
    RETURNING s.*),
e AS (SELECT tk_suggestion_event(s) FROM s)
SELECT (SELECT count(*) FROM s), (SELECT count(*) FROM e)

-- name: copilot_history
-- A ticket's copilot chat so far ([{role, content}]).
SELECT coalesce((SELECT c.messages::text FROM ai_conversations c
                  WHERE c.ticket_id = %s::uuid), '[]')

-- name: copilot_history_add
-- The question and its answer appended; the last 40 messages are kept.
INSERT INTO ai_conversations AS c (ticket_id, org_id, messages)
VALUES (%s::uuid, %s::uuid, %s::jsonb)
ON CONFLICT (ticket_id) DO UPDATE
   SET messages = (SELECT coalesce(jsonb_agg(m.v ORDER BY m.i), '[]')
                     FROM (SELECT v, i, count(*) OVER () AS n
                             FROM jsonb_array_elements(c.messages || EXCLUDED.messages)
                                  WITH ORDINALITY AS x(v, i)) m
                    WHERE m.i > m.n - 40),
       updated_at = now()

-- ---------------------------------------------------------------------
-- The AI in the web chat, and the handoff (ai/tk_customer_chat.c)
-- ---------------------------------------------------------------------

-- name: ai_conv_load
-- A conversation as its AI answer needs it: org, mode, status, customer,
-- and its latest customer message unless that was answered already.
SELECT v.org_id, v.mode, v.status, v.customer_id,
       (SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM conversation_messages a
                                      WHERE a.answers = m.id) THEN m.id END
          FROM conversation_messages m
         WHERE m.conversation_id = v.id AND m.sender = 'customer'
         ORDER BY m.created_at DESC, m.id DESC LIMIT 1)
  FROM conversations v
 WHERE v.id = %s::uuid

-- name: ai_conv_history
-- The thread, oldest first: the last (second argument) messages.
SELECT m.sender, m.content
  FROM (SELECT * FROM conversation_messages m WHERE m.conversation_id = %s::uuid
         ORDER BY m.created_at DESC, m.id DESC LIMIT %s::int) m
 ORDER BY m.created_at, m.id

-- name: ai_faq_match
-- The organization's published articles that best match the text (any of
-- its words), at most three.
WITH q AS (SELECT nullif(replace(plainto_tsquery('english', %s)::text, '&', '|'), '') AS q)
SELECT a.id, a.title, left(a.body, 800)
  FROM faq_articles a, q
 WHERE a.org_id = %s::uuid AND a.status = 'published' AND q.q IS NOT NULL
   AND a.search @@ to_tsquery('english', q.q)
 ORDER BY ts_rank(a.search, to_tsquery('english', q.q)) DESC, a.id
 LIMIT 3

-- name: ai_conv_says
-- The AI's (or the system's) answer to a customer message (the second
-- argument), with its new_message: only while the conversation is with
-- the AI, the message is the customer's latest and has no answer yet (at
-- most one: conversation_messages_answers); no row otherwise (a handoff
-- or a newer message came while the model thought, or another run of the
-- job answered).
WITH p AS (SELECT %s::uuid AS id, %s::uuid AS message),
v AS (SELECT c.* FROM conversations c, p
       WHERE c.id = p.id AND c.mode = 'ai'
         AND (SELECT m.id FROM conversation_messages m
               WHERE m.conversation_id = c.id AND m.sender = 'customer'
               ORDER BY m.created_at DESC, m.id DESC LIMIT 1) = p.message
         FOR UPDATE OF c),
m AS (INSERT INTO conversation_messages (org_id, conversation_id, channel_id, sender,
                                         content, status, answers)
      SELECT v.org_id, v.id, v.channel_id, %s, %s, 'sent', p.message FROM v, p
      ON CONFLICT (answers) WHERE answers IS NOT NULL DO NOTHING
      RETURNING *),
u AS (UPDATE conversations c SET last_message_at = m.sent_at, updated_at = now()
        FROM m WHERE c.id = m.conversation_id RETURNING c.id),
e AS (SELECT tk_conversation_event(v.org_id, v.id, v.customer_id, 'new_message',
                                   tk_new_message_data(m)) FROM v, m)
SELECT tk_conv_message_json(m)::text, m.id, (SELECT count(*) FROM e),
       (SELECT count(*) FROM u)
  FROM m

-- name: ai_conv_to_human
-- The conversation goes to a human (the AI failed): its id, NULL when it
-- was not with the AI.
SELECT (tk_conversation_to_human(%s::uuid)).id

-- name: ai_handoff
SELECT * FROM tk_handoff(%s::uuid, %s::uuid, %s, %s::boolean)
