-- 001_core.sql: organizations, people, credentials, tickets and their audit log.
--
-- Every row that belongs to a tenant carries org_id, and every query the
-- module runs filters on it.  Ticket numbers come from one sequence per
-- organization (created by a trigger when the organization is inserted), so
-- concurrent creates in one org never wait on a shared counter row; numbers
-- may have gaps after a rollback but never repeat (UNIQUE (org_id, number)).
-- JSON documents returned to clients are built here, by the tk_*_json()
-- functions, so that the C side parses one column instead of mapping types.

CREATE TABLE organizations (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name        text NOT NULL,
    ticket_seq  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION tk_org_create_sequence() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.ticket_seq := 'ticket_number_' || replace(NEW.id::text, '-', '');
    EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I', NEW.ticket_seq);
    RETURN NEW;
END;
$$;

CREATE TRIGGER organizations_sequence BEFORE INSERT ON organizations
    FOR EACH ROW EXECUTE FUNCTION tk_org_create_sequence();

CREATE TABLE users (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id         uuid NOT NULL REFERENCES organizations(id),
    email          text NOT NULL,
    name           text NOT NULL,
    role           text NOT NULL CHECK (role IN ('admin', 'agent', 'viewer', 'customer')),
    password_hash  text,
    disabled       boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email ON users (lower(email));
CREATE INDEX users_org ON users (org_id);

-- Customers are the people tickets are about.  A customer may also have a
-- login (role 'customer'), linked by user_id.
CREATE TABLE customers (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id      uuid NOT NULL REFERENCES organizations(id),
    user_id     uuid REFERENCES users(id),
    name        text NOT NULL,
    email       text,
    phone       text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE INDEX customers_org ON customers (org_id);
CREATE UNIQUE INDEX customers_user ON customers (user_id) WHERE user_id IS NOT NULL;

-- API tokens and browser sessions are stored as the SHA-256 of the secret.
CREATE TABLE api_tokens (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id        uuid NOT NULL REFERENCES organizations(id),
    user_id       uuid NOT NULL REFERENCES users(id),
    name          text NOT NULL,
    token_hash    text NOT NULL UNIQUE,
    prefix        text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX api_tokens_org ON api_tokens (org_id);

CREATE TABLE sessions (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id       uuid NOT NULL REFERENCES organizations(id),
    user_id      uuid NOT NULL REFERENCES users(id),
    token_hash   text NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE tickets (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id           uuid NOT NULL REFERENCES organizations(id),
    number           integer NOT NULL,
    title            text NOT NULL,
    description      text NOT NULL,
    status           text NOT NULL DEFAULT 'open'
                     CHECK (status IN ('open', 'in_progress', 'waiting', 'resolved', 'closed')),
    priority         text NOT NULL DEFAULT 'medium'
                     CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
    category         text,
    product_area     text,
    source           text NOT NULL DEFAULT 'api'
                     CHECK (source IN ('web', 'api', 'call', 'chat', 'email',
                                       'facebook', 'zalo', 'tiktok', 'discord')),
    tags             text[] NOT NULL DEFAULT '{}',
    assignee_id      uuid REFERENCES users(id),
    creator_id       uuid NOT NULL REFERENCES users(id),
    customer_id      uuid REFERENCES customers(id),
    conversation_id  uuid,
    chat_session_id  uuid,
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    closed_at        timestamptz,
    deleted_at       timestamptz,
    search           tsvector GENERATED ALWAYS AS (
                         setweight(to_tsvector('english', title), 'A') ||
                         setweight(to_tsvector('english', description), 'B')) STORED,
    UNIQUE (org_id, number)
);
-- One index per list filter; all partial on live rows and led by org_id.
CREATE INDEX tickets_org_created  ON tickets (org_id, created_at DESC) WHERE deleted_at IS NULL;
CREATE INDEX tickets_org_status   ON tickets (org_id, status, created_at DESC) WHERE deleted_at IS NULL;
CREATE INDEX tickets_org_priority ON tickets (org_id, priority) WHERE deleted_at IS NULL;
CREATE INDEX tickets_org_assignee ON tickets (org_id, assignee_id) WHERE deleted_at IS NULL;
CREATE INDEX tickets_org_customer ON tickets (org_id, customer_id) WHERE deleted_at IS NULL;
CREATE INDEX tickets_org_creator  ON tickets (org_id, creator_id) WHERE deleted_at IS NULL;
CREATE INDEX tickets_org_area     ON tickets (org_id, product_area) WHERE deleted_at IS NULL;
CREATE INDEX tickets_org_category ON tickets (org_id, category) WHERE deleted_at IS NULL;
CREATE INDEX tickets_org_source   ON tickets (org_id, source) WHERE deleted_at IS NULL;
CREATE INDEX tickets_tags         ON tickets USING gin (tags) WHERE deleted_at IS NULL;
CREATE INDEX tickets_search       ON tickets USING gin (search) WHERE deleted_at IS NULL;

CREATE TABLE ticket_messages (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id       uuid NOT NULL REFERENCES organizations(id),
    ticket_id    uuid NOT NULL REFERENCES tickets(id),
    author_id    uuid REFERENCES users(id),
    author_type  text NOT NULL CHECK (author_type IN ('agent', 'customer', 'system', 'ai')),
    body         text NOT NULL,
    internal     boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ticket_messages_ticket ON ticket_messages (ticket_id, created_at);

-- The audit trail, which is also the outbox that realtime streams and
-- outbound webhooks are fed from.  xid records the writing transaction so a
-- reader can tell which rows may still be committing out of id order.
CREATE TABLE ticket_events (
    id                 bigserial PRIMARY KEY,
    org_id             uuid NOT NULL REFERENCES organizations(id),
    ticket_id          uuid NOT NULL REFERENCES tickets(id),
    actor_id           uuid REFERENCES users(id),
    type               text NOT NULL,
    payload            jsonb NOT NULL DEFAULT '{}',
    xid                xid8 NOT NULL DEFAULT pg_current_xact_id(),
    created_at         timestamptz NOT NULL DEFAULT now(),
    delivered_at       timestamptz,
    delivery_attempts  integer NOT NULL DEFAULT 0,
    last_error         text
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);
CREATE INDEX ticket_events_org ON ticket_events (org_id, id);

-- Idempotency-Key: the first answer to a creating POST, replayed on retry.
CREATE TABLE idempotency_keys (
    user_id       uuid NOT NULL REFERENCES users(id),
    key           text NOT NULL,
    request_hash  text NOT NULL,
    status        integer,
    response      text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- ---------------------------------------------------------------------
-- JSON documents
-- ---------------------------------------------------------------------

-- These are plain SQL expressions so the planner inlines them into each
-- statement.  Their declared volatility must not be stricter than their
-- bodies' (to_char is STABLE), or PostgreSQL refuses to inline and parses
-- the function body on every call.
CREATE FUNCTION tk_ts(t timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

CREATE FUNCTION tk_ticket_key(n integer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 'TKT-' || lpad(n::text, 4, '0')
$$;

CREATE FUNCTION tk_ticket_json(t tickets) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object(
        'id', t.id,
        'number', t.number,
        'key', tk_ticket_key(t.number),
        'title', t.title,
        'description', t.description,
        'status', t.status,
        'priority', t.priority,
        'category', t.category,
        'productArea', t.product_area,
        'source', t.source,
        'tags', to_jsonb(t.tags),
        'assigneeId', t.assignee_id,
        'creatorId', t.creator_id,
        'customerId', t.customer_id,
        'conversationId', t.conversation_id,
        'chatSessionId', t.chat_session_id,
        'version', t.version,
        'createdAt', tk_ts(t.created_at),
        'updatedAt', tk_ts(t.updated_at),
        'closedAt', tk_ts(t.closed_at))
$$;

CREATE FUNCTION tk_user_json(u users) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN u.id IS NULL THEN NULL ELSE jsonb_build_object(
        'id', u.id,
        'email', u.email,
        'name', u.name,
        'role', u.role) END
$$;

CREATE FUNCTION tk_message_json(m ticket_messages) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object(
        'id', m.id,
        'ticketId', m.ticket_id,
        'authorId', m.author_id,
        'authorType', m.author_type,
        'body', m.body,
        'internal', m.internal,
        'createdAt', tk_ts(m.created_at))
$$;

CREATE FUNCTION tk_event_json(e ticket_events) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object(
        'id', e.id,
        'ticketId', e.ticket_id,
        'actorId', e.actor_id,
        'type', e.type,
        'payload', e.payload,
        'createdAt', tk_ts(e.created_at),
        'deliveredAt', tk_ts(e.delivered_at),
        'deliveryAttempts', e.delivery_attempts,
        'lastError', e.last_error)
$$;
