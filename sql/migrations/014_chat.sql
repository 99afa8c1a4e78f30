-- 014_chat.sql: agent chat sessions with the assistant (seed document
-- 002, with org_id): a session belongs to its user and no one else sees
-- it; its messages are the user's, the assistant's (with the tool calls
-- it made, their arguments and results, and the tickets it refers to).
-- Tickets made from chat name their session (tickets.chat_session_id).
-- chat_progress events are for the session's user alone (mod_tickets_sse
-- shows them to no one else, staff included).

CREATE TABLE chat_sessions (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id               uuid NOT NULL REFERENCES organizations(id),
    user_id              uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title                text,
    attached_ticket_ids  uuid[] NOT NULL DEFAULT '{}',
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chat_sessions_user ON chat_sessions (user_id, updated_at DESC);

CREATE TABLE chat_messages (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id   uuid NOT NULL REFERENCES chat_sessions(id) ON DELETE CASCADE,
    role         text NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
    content      text NOT NULL,
    ticket_refs  uuid[] NOT NULL DEFAULT '{}',
    tool_calls   jsonb,           -- [{id, name, arguments, status, result}]
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX chat_messages_session ON chat_messages (session_id, created_at);

ALTER TABLE tickets ADD CONSTRAINT tickets_chat_session_fk
    FOREIGN KEY (chat_session_id) REFERENCES chat_sessions(id) ON DELETE SET NULL;

CREATE FUNCTION tk_chat_message_json(m chat_messages) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object(
        'id', m.id, 'sessionId', m.session_id, 'role', m.role,
        'content', m.content, 'ticketRefs', to_jsonb(m.ticket_refs),
        'toolCalls', m.tool_calls, 'createdAt', tk_ts(m.created_at))
$$;

-- A session as listed: without its messages.
CREATE FUNCTION tk_chat_session_json(s chat_sessions) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object(
        'id', s.id, 'title', s.title,
        'attachedTicketIds', to_jsonb(s.attached_ticket_ids),
        'messageCount', (SELECT count(*) FROM chat_messages m WHERE m.session_id = s.id),
        'createdAt', tk_ts(s.created_at), 'updatedAt', tk_ts(s.updated_at))
$$;

-- A step of the assistant's work, for the session's user alone.
CREATE FUNCTION tk_chat_progress(s chat_sessions, p_data jsonb) RETURNS void
LANGUAGE sql VOLATILE AS $$
    INSERT INTO stream_events (org_id, type, audience0, staff_only, data)
    VALUES (s.org_id, 'chat_progress', s.user_id, false,
            (jsonb_build_object('sessionId', s.id) || p_data)::text)
$$;

-- The tickets attached to a session, as its header shows them (chips):
-- live ones only, in the order of their numbers.
CREATE FUNCTION tk_chat_attached(s chat_sessions) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'id', t.id, 'key', tk_ticket_key(t.number), 'number', t.number,
               'title', t.title, 'status', t.status, 'priority', t.priority)
             ORDER BY t.number), '[]')
      FROM tickets t
     WHERE t.id = ANY (s.attached_ticket_ids) AND t.org_id = s.org_id
       AND t.deleted_at IS NULL
$$;
