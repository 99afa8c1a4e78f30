-- 016_ai_handoff.sql: the handoff and the web chat's AI made safe
-- (docs/ai.md).
--
-- A handoff's ticket takes the customer's first message as its
-- description and first message; the note is its internal note only.
-- Private events (chat_progress) reach no webhook.  An AI answer names
-- the customer message it answers (answers), at most one per message, so
-- a job run twice, or an answer overtaken by a newer message, is never
-- stored twice.

ALTER TABLE conversation_messages
    ADD COLUMN answers uuid REFERENCES conversation_messages(id);
CREATE UNIQUE INDEX conversation_messages_answers ON conversation_messages (answers)
    WHERE answers IS NOT NULL;

-- The handoff, in one transaction: the conversation goes to a human (NULL
-- when it was not with the AI), the note is its system message (with its
-- new_message), and with p_ticket a ticket is opened whose first internal
-- note is the same note.  Returns the conversation, the note's message and
-- the ticket (NULL without one) as JSON.
CREATE OR REPLACE FUNCTION tk_handoff(p_conversation uuid, p_actor uuid, p_note text,
                           p_ticket boolean)
RETURNS TABLE (conversation text, note text, ticket text)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v conversations;
    m conversation_messages;
    first conversation_messages;
    t tickets;
BEGIN
    v := tk_conversation_to_human(p_conversation);
    IF v.id IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO conversation_messages (org_id, conversation_id, channel_id, sender,
                                       content, status)
    VALUES (v.org_id, v.id, v.channel_id, 'system', p_note, 'sent')
    RETURNING * INTO m;
    PERFORM tk_conversation_event(v.org_id, v.id, v.customer_id, 'new_message',
                                  tk_new_message_data(m));
    IF p_ticket THEN
        -- the ticket's description and first message are the customer's
        -- first message; on the ticket the note (the AI's summary, the
        -- transcript) is an internal note, for staff only
        SELECT * INTO first FROM conversation_messages x
         WHERE x.conversation_id = v.id AND x.sender = 'customer'
         ORDER BY x.created_at, x.id LIMIT 1;
        t := tk_ticket_of_conversation(v, p_actor,
                 left(coalesce(split_part(btrim(first.content), E'\n', 1), 'Web chat'), 200),
                 coalesce(first.content, 'Handed over from the web chat.'));
        INSERT INTO ticket_messages (org_id, ticket_id, author_id, author_type, content,
                                     internal)
        VALUES (t.org_id, t.id, NULL, 'system', p_note, true);
    END IF;
    RETURN QUERY SELECT tk_conversation_json(v)::text, tk_conv_message_json(m)::text,
                        CASE WHEN t.id IS NULL THEN NULL ELSE tk_ticket_json(t)::text END;
END;
$$;

-- Events of these types are for their audience alone (mod_tickets_sse's
-- sse_is_private): no webhook subscription receives them, "*" included.
CREATE FUNCTION tk_event_private(p_type text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT p_type IN ('credential_revoked', 'chat_progress')
$$;

CREATE OR REPLACE FUNCTION tk_stream_event_webhooks() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT tk_event_private(NEW.type) AND tk_webhook_wanted(NEW.org_id, NEW.type) THEN
        PERFORM tk_webhook_fanout(NEW.org_id, NEW.type, NEW.data::jsonb,
                                  NEW.created_at, NULL);
    END IF;
    NEW.wakes_jobs := coalesce(current_setting('tickets.webhooks_made', true), '') = 'on';
    RETURN NEW;
END;
$$;
