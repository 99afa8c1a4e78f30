-- 015_ai_customer_chat.sql: web chat conversations answered by the AI
-- first (mode 'ai') and handed to a human (docs/ai.md).  Each customer
-- message of an AI conversation is a job (conversation.ai) made in the
-- message's transaction; the AI's answer is a message of sender 'ai'.

-- The job that answers message p_message of conversation p_conversation.
CREATE FUNCTION tk_conversation_ai_job(p_org uuid, p_conversation uuid,
                                       p_message uuid) RETURNS uuid
LANGUAGE sql VOLATILE AS $$
    INSERT INTO jobs (org_id, kind, payload, max_attempts)
    VALUES (p_org, 'conversation.ai',
            jsonb_build_object('conversationId', p_conversation,
                               'messageId', p_message), 3)
    RETURNING id
$$;

-- Whether a new web chat of channel ch opens in mode ai: a provider is
-- configured (p_ai) and the channel's settings do not say "ai": false.
CREATE FUNCTION tk_web_chat_mode(ch channels, p_ai boolean) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN p_ai AND coalesce(ch.settings->'ai', 'true'::jsonb) <> 'false'::jsonb
                THEN 'ai' ELSE 'human' END
$$;

-- A conversation goes to a human: mode human, with its
-- conversation_updated.  NULL when it was not in mode ai.
CREATE FUNCTION tk_conversation_to_human(p_conversation uuid) RETURNS conversations
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v conversations;
BEGIN
    UPDATE conversations c SET mode = 'human', version = c.version + 1, updated_at = now()
     WHERE c.id = p_conversation AND c.mode = 'ai'
    RETURNING * INTO v;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    PERFORM tk_conversation_event(v.org_id, v.id, v.customer_id, 'conversation_updated',
        tk_conversation_json(v) || jsonb_build_object('changes', jsonb_build_object(
            'mode', jsonb_build_object('before', 'ai', 'after', 'human'))));
    RETURN v;
END;
$$;

-- The handoff, in one transaction: the conversation goes to a human (NULL
-- when it was not with the AI), the note is its system message (with its
-- new_message), and with p_ticket a ticket is opened whose first internal
-- note is the same note.  Returns the conversation, the note's message and
-- the ticket (NULL without one) as JSON.
CREATE FUNCTION tk_handoff(p_conversation uuid, p_actor uuid, p_note text,
                           p_ticket boolean)
RETURNS TABLE (conversation text, note text, ticket text)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v conversations;
    m conversation_messages;
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
        t := tk_ticket_of_conversation(v, p_actor,
                 left('Handoff: ' || coalesce((SELECT split_part(btrim(x.content), E'\n', 1)
                                                 FROM conversation_messages x
                                                WHERE x.conversation_id = v.id
                                                  AND x.sender = 'customer'
                                                ORDER BY x.created_at, x.id LIMIT 1),
                                               'web chat'), 200),
                 p_note);
        INSERT INTO ticket_messages (org_id, ticket_id, author_id, author_type, content,
                                     internal)
        VALUES (t.org_id, t.id, NULL, 'system', p_note, true);
    END IF;
    RETURN QUERY SELECT tk_conversation_json(v)::text, tk_conv_message_json(m)::text,
                        CASE WHEN t.id IS NULL THEN NULL ELSE tk_ticket_json(t)::text END;
END;
$$;
