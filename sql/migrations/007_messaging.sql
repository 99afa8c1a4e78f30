-- 007_messaging.sql: customers as contacts, the organization's channels on
-- the chat platforms, conversations and their messages.
--
-- A channel is one presence of an organization on a platform (a Facebook
-- page, a Zalo OA, a TikTok business account, a Discord application, or
-- the organization's own web chat).  Its secrets (app secrets, tokens,
-- keys) live in channels.secrets and leave the database only towards the
-- module's webhook checks and sends: tk_channel_json says which are set,
-- never what they are.
--
-- A customer is known on a channel by a platform identity (unique per
-- channel).  A conversation is a thread with one customer on one channel;
-- while one is not closed, every message of its platform thread lands in
-- it (at most one such conversation per thread: conversations_thread); a
-- message after it was closed starts a new one.  Web chat conversations
-- have no thread: each is opened on its own.
--
-- A platform delivers the same message again when it is not sure we got
-- it; the unique (channel_id, platform_message_id) makes a second copy
-- impossible, even when both arrive at the same moment.
--
-- tk_inbound_message stores one customer message from a platform in one
-- call: customer, identity, conversation, message and their live events,
-- serialized per sender by an advisory lock so that simultaneous first
-- messages of one customer make one customer and one conversation.
--
-- The functions that write are PL/pgSQL, even the one-statement ones: a
-- LANGUAGE sql function that is not inlined is parsed and planned again
-- at every call from PL/pgSQL, where PL/pgSQL keeps its plans for the
-- session: pgbench ran tk_inbound_message 1.3 to 1.5 times as fast so
-- (fsync off, 2 clients).

-- ---------------------------------------------------------------------
-- Channels
-- ---------------------------------------------------------------------

CREATE TABLE channels (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id      uuid NOT NULL REFERENCES organizations(id),
    platform    text NOT NULL
                CHECK (platform IN ('facebook', 'zalo', 'tiktok', 'discord', 'web')),
    name        text NOT NULL,
    account_id  text NOT NULL,
    api_base    text,
    settings    jsonb NOT NULL DEFAULT '{}',
    secrets     jsonb NOT NULL DEFAULT '{}',
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE INDEX channels_org ON channels (org_id) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX channels_account ON channels (org_id, platform, account_id)
    WHERE deleted_at IS NULL;
-- One web chat per organization.
CREATE UNIQUE INDEX channels_web ON channels (org_id)
    WHERE platform = 'web' AND deleted_at IS NULL;

-- The secrets each platform needs; what an answer says is set.
CREATE FUNCTION tk_channel_secret_names(platform text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE platform
        WHEN 'facebook' THEN ARRAY['appSecret', 'verifyToken', 'accessToken']
        WHEN 'zalo'     THEN ARRAY['oaSecretKey', 'accessToken']
        WHEN 'tiktok'   THEN ARRAY['clientSecret', 'accessToken']
        WHEN 'discord'  THEN ARRAY['publicKey', 'botToken']
        ELSE ARRAY[]::text[] END
$$;

CREATE FUNCTION tk_channel_json(ch channels) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object(
        'id', ch.id,
        'platform', ch.platform,
        'name', ch.name,
        'accountId', ch.account_id,
        'apiBase', ch.api_base,
        'settings', ch.settings,
        'secretsSet', (SELECT coalesce(jsonb_object_agg(n, ch.secrets ? n), '{}')
                         FROM unnest(tk_channel_secret_names(ch.platform)) n),
        'webhookPath', CASE WHEN ch.platform = 'web' THEN NULL
                            ELSE '/webhooks/' || ch.platform || '/' || ch.id END,
        'version', ch.version,
        'createdAt', tk_ts(ch.created_at),
        'updatedAt', tk_ts(ch.updated_at))
$$;

-- ---------------------------------------------------------------------
-- Customers and their identities on the platforms
-- ---------------------------------------------------------------------

ALTER TABLE customers
    ADD COLUMN avatar_url text,
    ADD COLUMN notes text,
    ADD COLUMN tags text[] NOT NULL DEFAULT '{}',
    ADD COLUMN version integer NOT NULL DEFAULT 1;
CREATE INDEX customers_org_created ON customers (org_id, created_at DESC)
    WHERE deleted_at IS NULL;
CREATE INDEX customers_tags ON customers USING gin (tags) WHERE deleted_at IS NULL;

CREATE TABLE customer_identities (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id            uuid NOT NULL REFERENCES organizations(id),
    customer_id       uuid NOT NULL REFERENCES customers(id),
    channel_id        uuid NOT NULL REFERENCES channels(id),
    platform          text NOT NULL,
    platform_user_id  text NOT NULL,
    display_name      text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (channel_id, platform_user_id)
);
CREATE INDEX customer_identities_customer ON customer_identities (customer_id);
CREATE INDEX customer_identities_user ON customer_identities (org_id, platform_user_id);

CREATE FUNCTION tk_customer_json(c customers) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object(
        'id', c.id,
        'name', c.name,
        'email', c.email,
        'phone', c.phone,
        'avatarUrl', c.avatar_url,
        'notes', c.notes,
        'tags', to_jsonb(c.tags),
        'userId', c.user_id,
        'identities', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                  'platform', i.platform,
                                  'channelId', i.channel_id,
                                  'platformUserId', i.platform_user_id,
                                  'displayName', i.display_name)
                              ORDER BY i.created_at, i.id), '[]')
                         FROM customer_identities i WHERE i.customer_id = c.id),
        'version', c.version,
        'createdAt', tk_ts(c.created_at),
        'updatedAt', tk_ts(c.updated_at))
$$;

-- ---------------------------------------------------------------------
-- Conversations and messages
-- ---------------------------------------------------------------------

CREATE TABLE conversations (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id           uuid NOT NULL REFERENCES organizations(id),
    channel_id       uuid NOT NULL REFERENCES channels(id),
    customer_id      uuid NOT NULL REFERENCES customers(id),
    platform         text NOT NULL,
    status           text NOT NULL DEFAULT 'open'
                     CHECK (status IN ('open', 'pending', 'resolved', 'closed')),
    assignee_id      uuid REFERENCES users(id),
    mode             text NOT NULL DEFAULT 'human' CHECK (mode IN ('human', 'ai')),
    thread_id        text,          -- the platform's thread; NULL for web chat
    reply_to         text,          -- where a reply is sent (see tk_inbound_message)
    last_message_at  timestamptz NOT NULL DEFAULT now(),
    unread_count     integer NOT NULL DEFAULT 0,
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX conversations_thread ON conversations (channel_id, thread_id)
    WHERE thread_id IS NOT NULL AND status <> 'closed';
CREATE INDEX conversations_org_last ON conversations (org_id, last_message_at DESC);
CREATE INDEX conversations_customer ON conversations (customer_id);

CREATE TABLE conversation_messages (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id               uuid NOT NULL REFERENCES organizations(id),
    conversation_id      uuid NOT NULL REFERENCES conversations(id),
    channel_id           uuid NOT NULL REFERENCES channels(id),
    sender               text NOT NULL CHECK (sender IN ('customer', 'agent', 'ai', 'system')),
    author_id            uuid REFERENCES users(id),
    content              text NOT NULL,
    sent_at              timestamptz NOT NULL DEFAULT now(),
    platform_message_id  text,
    status               text NOT NULL DEFAULT 'sent'
                         CHECK (status IN ('pending', 'sent', 'failed')),
    attempts             integer NOT NULL DEFAULT 0,
    last_error           text,
    -- the clock, not the transaction's start: the messages of one
    -- delivery keep their order
    created_at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (channel_id, platform_message_id)
);
CREATE INDEX conversation_messages_conversation
    ON conversation_messages (conversation_id, created_at, id);

-- A ticket opened on a platform (a Discord command) has a customer and no
-- login behind it.
ALTER TABLE tickets ALTER COLUMN creator_id DROP NOT NULL;
ALTER TABLE tickets ADD CONSTRAINT tickets_conversation
    FOREIGN KEY (conversation_id) REFERENCES conversations(id);

CREATE FUNCTION tk_conversation_json(v conversations) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object(
        'id', v.id,
        'channelId', v.channel_id,
        'customerId', v.customer_id,
        'platform', v.platform,
        'status', v.status,
        'assigneeId', v.assignee_id,
        'mode', v.mode,
        'threadId', v.thread_id,
        'lastMessageAt', tk_ts(v.last_message_at),
        'unreadCount', v.unread_count,
        'version', v.version,
        'createdAt', tk_ts(v.created_at),
        'updatedAt', tk_ts(v.updated_at))
$$;

CREATE FUNCTION tk_conv_message_json(m conversation_messages) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object(
        'id', m.id,
        'conversationId', m.conversation_id,
        'sender', m.sender,
        'authorId', m.author_id,
        'content', m.content,
        'sentAt', tk_ts(m.sent_at),
        'platformMessageId', m.platform_message_id,
        'status', m.status,
        'attempts', m.attempts,
        'lastError', m.last_error)
$$;

-- ---------------------------------------------------------------------
-- Live events of conversations and customers
-- ---------------------------------------------------------------------

-- A conversation's event: the org's staff see it, and the customer whose
-- conversation it is (through their login, when they have one).  Every
-- value but the customer's login comes as an argument, so the statement
-- that makes a conversation writes its event without reading it back.
CREATE FUNCTION tk_conversation_event(p_org uuid, p_conversation uuid,
                                      p_customer uuid, p_type text,
                                      p_data jsonb) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    INSERT INTO stream_events (org_id, type, conversation_id, audience0,
                               staff_only, data)
    VALUES (p_org, p_type, p_conversation,
            (SELECT c.user_id FROM customers c WHERE c.id = p_customer),
            false, p_data::text);
END;
$$;

-- A customer's event: staff only.
CREATE FUNCTION tk_customer_event(p_org uuid, p_type text, p_data jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    INSERT INTO stream_events (org_id, type, staff_only, data)
    VALUES (p_org, p_type, true, p_data::text);
END;
$$;

-- What new_message carries (seed document 001): the message as stored.
CREATE FUNCTION tk_new_message_data(m conversation_messages) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT tk_conv_message_json(m)
$$;

-- ---------------------------------------------------------------------
-- Messages and tickets from the platforms
-- ---------------------------------------------------------------------

-- The customer known on channel ch as p_user_id, made (or brought back
-- from deletion) with customer_created when needed.  The caller holds
-- tk_platform_lock for the sender.
CREATE FUNCTION tk_platform_customer(ch channels, p_user_id text,
                                     p_user_name text) RETURNS customers
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    cust customers;
BEGIN
    SELECT c.* INTO cust
      FROM customer_identities i JOIN customers c ON c.id = i.customer_id
     WHERE i.channel_id = ch.id AND i.platform_user_id = p_user_id;
    IF NOT FOUND THEN
        INSERT INTO customers (org_id, name)
        VALUES (ch.org_id, coalesce(nullif(p_user_name, ''),
                                    initcap(ch.platform) || ' user ' || p_user_id))
        RETURNING * INTO cust;
        INSERT INTO customer_identities (org_id, customer_id, channel_id, platform,
                                         platform_user_id, display_name)
        VALUES (ch.org_id, cust.id, ch.id, ch.platform, p_user_id, p_user_name);
        PERFORM tk_customer_event(ch.org_id, 'customer_created', tk_customer_json(cust));
    ELSIF cust.deleted_at IS NOT NULL THEN
        -- A deleted customer who writes again is a customer again.
        UPDATE customers c SET deleted_at = NULL, updated_at = now(),
                               version = c.version + 1
         WHERE c.id = cust.id RETURNING * INTO cust;
        PERFORM tk_customer_event(ch.org_id, 'customer_created', tk_customer_json(cust));
    END IF;
    RETURN cust;
END;
$$;

-- Deliveries of one sender on one channel, one at a time, until the
-- transaction ends: simultaneous first messages make one customer and one
-- conversation.
CREATE FUNCTION tk_platform_lock(p_channel uuid, p_user_id text) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(p_channel::text || '/' || p_user_id, 7));
END;
$$;

-- The open (not closed) conversation of the thread, made with
-- new_conversation when there is none.  *fresh says it was made.
CREATE FUNCTION tk_platform_conversation(ch channels, cust customers,
                                         p_thread text, p_reply_to text,
                                         p_at timestamptz,
                                         OUT conv conversations, OUT fresh boolean)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    -- Locked: an agent closing it meanwhile is waited for, and then it is
    -- no longer the thread's (a closed one takes no new message).
    SELECT * INTO conv FROM conversations v
     WHERE v.channel_id = ch.id AND v.thread_id = p_thread AND v.status <> 'closed'
       FOR NO KEY UPDATE;
    fresh := NOT FOUND;
    IF fresh THEN
        INSERT INTO conversations (org_id, channel_id, customer_id, platform,
                                   thread_id, reply_to, last_message_at)
        VALUES (ch.org_id, ch.id, cust.id, ch.platform, p_thread, p_reply_to, p_at)
        RETURNING * INTO conv;
    END IF;
END;
$$;

-- A customer message stored in conv: the conversation's time, unread
-- count and status move (a pending or resolved conversation reopens, with
-- conversation_updated), then new_conversation (when fresh) and
-- new_message.
CREATE FUNCTION tk_platform_store(conv conversations, fresh boolean,
                                  p_message_id text, p_content text,
                                  p_at timestamptz) RETURNS conversation_messages
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    msg conversation_messages;
    was text := conv.status;
BEGIN
    INSERT INTO conversation_messages (org_id, conversation_id, channel_id, sender,
                                       content, sent_at, platform_message_id, status)
    VALUES (conv.org_id, conv.id, conv.channel_id, 'customer', p_content, p_at,
            p_message_id, 'sent')
    RETURNING * INTO msg;
    UPDATE conversations v
       SET unread_count = CASE WHEN fresh THEN 1 ELSE v.unread_count + 1 END,
           last_message_at = greatest(v.last_message_at, msg.sent_at),
           status = CASE WHEN v.status IN ('resolved', 'pending') THEN 'open'
                         ELSE v.status END,
           updated_at = now(),
           version = v.version + CASE WHEN fresh THEN 0 ELSE 1 END
     WHERE v.id = conv.id
    RETURNING * INTO conv;
    IF fresh THEN
        PERFORM tk_conversation_event(conv.org_id, conv.id, conv.customer_id,
                                      'new_conversation', tk_conversation_json(conv));
    ELSIF was <> conv.status THEN
        PERFORM tk_conversation_event(conv.org_id, conv.id, conv.customer_id,
            'conversation_updated', tk_conversation_json(conv) || jsonb_build_object(
                'changes', jsonb_build_object('status', jsonb_build_object(
                    'before', was, 'after', conv.status))));
    END IF;
    PERFORM tk_conversation_event(conv.org_id, conv.id, conv.customer_id,
                                  'new_message', tk_new_message_data(msg));
    RETURN msg;
END;
$$;

-- The channel a platform delivered to; an error when it was deleted
-- meanwhile (the webhook found it a moment before).
CREATE FUNCTION tk_platform_channel(p_channel uuid) RETURNS channels
LANGUAGE plpgsql STABLE AS $$
DECLARE
    ch channels;
BEGIN
    SELECT * INTO ch FROM channels WHERE id = p_channel AND deleted_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no channel %', p_channel;
    END IF;
    RETURN ch;
END;
$$;

-- One customer message from a platform: p_user_id (maybe with a name) on
-- channel p_channel, in the conversation of p_thread (replies going to
-- p_reply_to), unless the platform's message id was stored before.
-- Returns the message's id and its conversation's, and whether it was
-- stored now (false: a copy of one stored before).
CREATE FUNCTION tk_inbound_message(
    p_channel uuid, p_user_id text, p_user_name text, p_thread text,
    p_reply_to text, p_message_id text, p_content text, p_sent_at timestamptz)
RETURNS TABLE (message_id uuid, conversation_id uuid, stored boolean)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    ch channels := tk_platform_channel(p_channel);
    cust customers;
    conv conversations;
    fresh boolean;
    r record;
    msg conversation_messages;
    at timestamptz := coalesce(p_sent_at, now());
BEGIN
    PERFORM tk_platform_lock(ch.id, p_user_id);
    RETURN QUERY
        SELECT m.id, m.conversation_id, false FROM conversation_messages m
         WHERE m.channel_id = ch.id AND m.platform_message_id = p_message_id;
    IF FOUND THEN
        RETURN;
    END IF;
    cust := tk_platform_customer(ch, p_user_id, p_user_name);
    SELECT * INTO r FROM tk_platform_conversation(ch, cust, p_thread, p_reply_to, at);
    conv := r.conv;
    fresh := r.fresh;
    msg := tk_platform_store(conv, fresh, p_message_id, p_content, at);
    RETURN QUERY SELECT msg.id, msg.conversation_id, true;
END;
$$;

-- A ticket's live event and audit row, as tk_change_finish writes them
-- for the API (the event's data without the staff view's version).
CREATE FUNCTION tk_ticket_happened(t tickets, p_actor uuid, p_type text,
                                   p_audit text, p_payload jsonb,
                                   p_data jsonb) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    INSERT INTO ticket_events (org_id, ticket_id, actor_id, type, payload)
    VALUES (t.org_id, t.id, p_actor, p_audit, p_payload);
    INSERT INTO stream_events (org_id, type, ticket_id, audience0, audience1,
                               staff_only, data)
    VALUES (t.org_id, p_type, t.id,
            (SELECT u.id FROM users u WHERE u.id = t.creator_id AND u.role = 'customer'),
            (SELECT c.user_id FROM customers c WHERE c.id = t.customer_id),
            false, (p_data - 'version')::text);
END;
$$;

-- One field of ticket t changed (t is the row after): ticket_updated with
-- its "changes", and the audit row p_audit with before and after, as
-- PATCH and status moves write them.
CREATE FUNCTION tk_ticket_changed(t tickets, p_actor uuid, p_audit text,
                                  p_field text, p_before jsonb, p_after jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM tk_ticket_happened(t, p_actor, 'ticket_updated', p_audit,
        jsonb_build_object('before', jsonb_build_object(p_field, p_before),
                           'after', jsonb_build_object(p_field, p_after)),
        tk_ticket_json(t) || jsonb_build_object('changes', jsonb_build_object(
            p_field, jsonb_build_object('before', p_before, 'after', p_after))));
END;
$$;

-- A new ticket of conversation conv: its customer, the platform as its
-- source, p_content as its first message (the customer's), created by
-- p_actor (NULL: from the platform itself).
CREATE FUNCTION tk_ticket_of_conversation(conv conversations, p_actor uuid,
                                          p_title text, p_content text)
RETURNS tickets
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    t tickets;
BEGIN
    INSERT INTO tickets (org_id, number, title, description, source, creator_id,
                         customer_id, conversation_id)
    SELECT conv.org_id, nextval(o.ticket_seq::regclass), p_title, p_content,
           conv.platform, p_actor, conv.customer_id, conv.id
      FROM organizations o WHERE o.id = conv.org_id
    RETURNING * INTO t;
    INSERT INTO ticket_messages (org_id, ticket_id, author_id, author_type, content,
                                 created_at)
    VALUES (t.org_id, t.id, NULL, 'customer', p_content, t.created_at);
    PERFORM tk_ticket_happened(t, p_actor, 'ticket_created', 'TICKET_CREATED',
                               jsonb_build_object('after', tk_ticket_json(t)),
                               tk_ticket_json(t));
    RETURN t;
END;
$$;

-- POST /api/conversations/:id/ticket: a ticket from the conversation's
-- last customer message (title: the one given, or that message's first
-- line).  No rows when the conversation has no customer message.
CREATE FUNCTION tk_conversation_ticket(p_conversation uuid, p_actor uuid,
                                       p_title text)
RETURNS TABLE (doc text, version integer, id uuid)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    conv conversations;
    lm conversation_messages;
    t tickets;
BEGIN
    SELECT * INTO conv FROM conversations v WHERE v.id = p_conversation;
    SELECT * INTO lm FROM conversation_messages m
     WHERE m.conversation_id = p_conversation AND m.sender = 'customer'
     ORDER BY m.created_at DESC, m.id DESC LIMIT 1;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    t := tk_ticket_of_conversation(conv, p_actor,
             coalesce(p_title, left(split_part(btrim(lm.content), E'\n', 1), 200)),
             lm.content);
    RETURN QUERY SELECT tk_ticket_json(t)::text, t.version, t.id;
END;
$$;

-- Discord's /ticket open: the customer of the Discord user, the
-- conversation of the user in that Discord channel, the command as its
-- message (the interaction's id as the platform's message id), and a
-- ticket with source discord.  An interaction seen before gives its
-- ticket again.
CREATE FUNCTION tk_discord_ticket_open(
    p_channel uuid, p_user_id text, p_user_name text, p_thread text,
    p_reply_to text, p_interaction text, p_subject text, p_description text)
RETURNS TABLE (doc text, key text)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    ch channels := tk_platform_channel(p_channel);
    cust customers;
    conv conversations;
    fresh boolean;
    r record;
    content text := p_subject || coalesce(E'\n\n' || nullif(p_description, ''), '');
    t tickets;
BEGIN
    PERFORM tk_platform_lock(ch.id, p_user_id);
    SELECT tk.* INTO t FROM conversation_messages m
      JOIN tickets tk ON tk.conversation_id = m.conversation_id
     WHERE m.channel_id = ch.id AND m.platform_message_id = p_interaction
     ORDER BY tk.created_at DESC LIMIT 1;
    IF NOT FOUND THEN
        cust := tk_platform_customer(ch, p_user_id, p_user_name);
        SELECT * INTO r FROM tk_platform_conversation(ch, cust, p_thread,
                                                      p_reply_to, now());
        conv := r.conv;
        fresh := r.fresh;
        PERFORM tk_platform_store(conv, fresh, p_interaction, content, now());
        t := tk_ticket_of_conversation(conv, NULL, left(p_subject, 200), content);
    END IF;
    RETURN QUERY SELECT tk_ticket_json(t)::text, tk_ticket_key(t.number);
END;
$$;

-- Discord's /ticket close and reopen: the newest live ticket of the
-- caller's conversation in that Discord channel moves to p_to (closed or
-- open) when the lifecycle allows it.  No rows: the caller has none;
-- moved false: the move is not allowed from where it stands.
CREATE FUNCTION tk_discord_ticket_move(p_channel uuid, p_thread text, p_to text)
RETURNS TABLE (key text, moved boolean)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    t tickets;
    was text;
BEGIN
    SELECT tk.* INTO t FROM tickets tk JOIN conversations v ON v.id = tk.conversation_id
     WHERE v.channel_id = p_channel AND v.thread_id = p_thread
       AND tk.deleted_at IS NULL
     ORDER BY tk.created_at DESC LIMIT 1
       FOR UPDATE OF tk;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    was := t.status;
    IF NOT ((p_to = 'closed' AND was <> 'closed')
            OR (p_to = 'open' AND was IN ('closed', 'resolved'))) THEN
        RETURN QUERY SELECT tk_ticket_key(t.number), false;
        RETURN;
    END IF;
    UPDATE tickets tk
       SET status = p_to, closed_at = CASE WHEN p_to = 'closed' THEN now() END,
           version = tk.version + 1, updated_at = now(),
           public_version = tk.public_version + 1, public_updated_at = now()
     WHERE tk.id = t.id
    RETURNING * INTO t;
    PERFORM tk_ticket_changed(t, NULL, 'STATUS_CHANGED', 'status', to_jsonb(was),
                              to_jsonb(p_to));
    RETURN QUERY SELECT tk_ticket_key(t.number), true;
END;
$$;

-- ---------------------------------------------------------------------
-- Merging two customers
-- ---------------------------------------------------------------------

-- Everything of p_from moves to p_into (the caller locked both rows;
-- p_actor did it): identities, conversations and tickets; p_from's login
-- too when p_into has none.  p_from is then deleted.  Events:
-- customer_deleted for p_from, customer_updated for p_into,
-- conversation_updated for each conversation and ticket_updated (with an
-- UPDATED audit row) for each ticket that moved.
CREATE FUNCTION tk_customer_merge(p_into uuid, p_from uuid, p_actor uuid)
RETURNS TABLE (doc text, version integer)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    src customers;
    dst customers;
    v conversations;
    t tickets;
    moved jsonb := jsonb_build_object('customerId', jsonb_build_object(
                       'before', p_from, 'after', p_into));
BEGIN
    IF p_into = p_from THEN
        RAISE EXCEPTION 'a customer cannot be merged into itself';
    END IF;
    SELECT * INTO src FROM customers WHERE id = p_from;
    UPDATE customer_identities SET customer_id = p_into WHERE customer_id = p_from;
    FOR v IN UPDATE conversations c SET customer_id = p_into, updated_at = now(),
                                      version = c.version + 1
              WHERE c.customer_id = p_from RETURNING c.* LOOP
        PERFORM tk_conversation_event(v.org_id, v.id, v.customer_id,
            'conversation_updated',
            tk_conversation_json(v) || jsonb_build_object('changes', moved));
    END LOOP;
    FOR t IN UPDATE tickets k
                SET customer_id = p_into, version = k.version + 1,
                    public_version = k.public_version + 1,
                    updated_at = now(), public_updated_at = now()
              WHERE k.customer_id = p_from RETURNING k.* LOOP
        PERFORM tk_ticket_changed(t, p_actor, 'UPDATED', 'customerId',
                                  to_jsonb(p_from), to_jsonb(p_into));
    END LOOP;
    UPDATE customers SET deleted_at = now(), updated_at = now(),
                         version = customers.version + 1, user_id = NULL
     WHERE id = p_from;
    UPDATE customers c
       SET user_id = coalesce(c.user_id, src.user_id),
           email = coalesce(c.email, src.email),
           phone = coalesce(c.phone, src.phone),
           avatar_url = coalesce(c.avatar_url, src.avatar_url),
           tags = ARRAY(SELECT DISTINCT unnest(c.tags || src.tags) ORDER BY 1),
           version = c.version + 1, updated_at = now()
     WHERE c.id = p_into
    RETURNING * INTO dst;
    PERFORM tk_customer_event(dst.org_id, 'customer_deleted',
                              jsonb_build_object('id', p_from, 'mergedInto', p_into));
    PERFORM tk_customer_event(dst.org_id, 'customer_updated', tk_customer_json(dst));
    RETURN QUERY SELECT tk_customer_json(dst)::text, dst.version;
END;
$$;

-- ---------------------------------------------------------------------
-- Deliveries of replies
-- ---------------------------------------------------------------------

-- The delivery jobs of a message are found by its id.
CREATE INDEX jobs_message ON jobs ((payload->>'messageId'))
    WHERE kind = 'message.send';

-- true while a delivery job of message p_message is to run or running.
CREATE FUNCTION tk_send_unfinished(p_message uuid) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT EXISTS (SELECT 1 FROM jobs j
                    WHERE j.kind = 'message.send'
                      AND j.payload->>'messageId' = p_message::text
                      AND j.state IN ('queued', 'running', 'retrying'))
$$;
