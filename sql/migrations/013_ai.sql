-- 013_ai.sql: the AI layer's tables (docs/ai.md).
--
-- ai_calls is the ledger: one row per call to the provider, or per
-- answer taken from the cache, with what it cost; an organization's
-- monthly token budget (organizations.ai_monthly_tokens) is checked
-- against it before every call.  ai_cache keeps answers by the SHA-256 of
-- model and redacted request, per organization, until they expire.
-- ai_suggestions are the copilot's jobs (seed document 003's
-- AISuggestion) and ai_conversations a ticket's copilot chat (its
-- AIConversation).

ALTER TABLE organizations
    ADD COLUMN ai_monthly_tokens bigint CHECK (ai_monthly_tokens >= 0);

CREATE TABLE ai_calls (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id             uuid NOT NULL REFERENCES organizations(id),
    user_id            uuid REFERENCES users(id) ON DELETE SET NULL,
    ticket_id          uuid REFERENCES tickets(id) ON DELETE SET NULL,
    conversation_id    uuid,
    chat_session_id    uuid,
    purpose            text NOT NULL CHECK (purpose ~ '^[a-z_.]{1,40}$'),
    model              text NOT NULL,
    prompt_tokens      integer NOT NULL DEFAULT 0 CHECK (prompt_tokens >= 0),
    completion_tokens  integer NOT NULL DEFAULT 0 CHECK (completion_tokens >= 0),
    estimated          boolean NOT NULL DEFAULT false,
    cached             boolean NOT NULL DEFAULT false,
    latency_ms         integer NOT NULL DEFAULT 0,
    attempts           integer NOT NULL DEFAULT 1,
    outcome            text NOT NULL CHECK (outcome IN ('ok', 'error')),
    error              text,
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ai_calls_org_month ON ai_calls (org_id, created_at);
CREATE INDEX ai_calls_ticket ON ai_calls (ticket_id) WHERE ticket_id IS NOT NULL;

CREATE TABLE ai_cache (
    org_id             uuid NOT NULL REFERENCES organizations(id),
    key                text NOT NULL CHECK (key ~ '^[0-9a-f]{64}$'),
    answer             text NOT NULL,   -- the provider's body, as received
    prompt_tokens      integer NOT NULL DEFAULT 0,
    completion_tokens  integer NOT NULL DEFAULT 0,
    expires_at         timestamptz NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, key)
);
CREATE INDEX ai_cache_expiry ON ai_cache (expires_at);

CREATE TABLE ai_suggestions (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id             uuid NOT NULL REFERENCES organizations(id),
    ticket_id          uuid NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    user_id            uuid REFERENCES users(id) ON DELETE SET NULL,
    kind               text NOT NULL
                       CHECK (kind IN ('analysis', 'next_steps', 'draft_reply', 'chat')),
    state              text NOT NULL DEFAULT 'queued'
                       CHECK (state IN ('queued', 'running', 'success', 'error')),
    request            jsonb NOT NULL DEFAULT '{}',  -- tone, message
    content            jsonb,
    error              text,
    model              text,
    prompt_tokens      integer,
    completion_tokens  integer,
    job_id             uuid,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ai_suggestions_ticket ON ai_suggestions (ticket_id, created_at DESC);
CREATE INDEX ai_suggestions_state ON ai_suggestions (state)
    WHERE state IN ('queued', 'running');

CREATE TABLE ai_conversations (
    ticket_id          uuid PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE,
    org_id             uuid NOT NULL REFERENCES organizations(id),
    messages           jsonb NOT NULL DEFAULT '[]',  -- [{role, content}]
    updated_at         timestamptz NOT NULL DEFAULT now()
);

-- A suggestion as the API shows it (GET /api/copilot/v1/status/:id).
CREATE FUNCTION tk_suggestion_json(s ai_suggestions) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object(
        'id', s.id, 'ticketId', s.ticket_id, 'kind', s.kind, 'state', s.state,
        'request', s.request, 'content', s.content, 'error', s.error,
        'model', s.model, 'promptTokens', s.prompt_tokens,
        'completionTokens', s.completion_tokens,
        'createdAt', tk_ts(s.created_at), 'updatedAt', tk_ts(s.updated_at))
$$;

-- copilot_job_updated, for staff streams, in the transaction of the
-- change of state.
CREATE FUNCTION tk_suggestion_event(s ai_suggestions) RETURNS void
LANGUAGE sql VOLATILE AS $$
    INSERT INTO stream_events (org_id, type, ticket_id, staff_only, data)
    VALUES (s.org_id, 'copilot_job_updated', s.ticket_id, true,
            tk_suggestion_json(s)::text)
$$;

-- Tokens an organization has used this calendar month (UTC).
CREATE FUNCTION tk_ai_month_tokens(p_org uuid) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT coalesce(sum(prompt_tokens + completion_tokens), 0)
      FROM ai_calls
     WHERE org_id = p_org
       AND created_at >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
$$;

-- The job that runs suggestion p_suggestion (TK_COPILOT_JOB, three
-- attempts): its id.
CREATE FUNCTION tk_copilot_job(p_org uuid, p_suggestion uuid) RETURNS uuid
LANGUAGE sql VOLATILE AS $$
    INSERT INTO jobs (org_id, kind, payload, max_attempts)
    VALUES (p_org, 'copilot.run', jsonb_build_object('suggestionId', p_suggestion), 3)
    RETURNING id
$$;
