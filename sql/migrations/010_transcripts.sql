-- 010_transcripts.sql: transcripts of closed tickets, sealed at rest
-- (docs/transcripts.md).
--
-- Each close stores a new version: the whole thread as
-- tk_transcript_doc builds it, sealed in C with AES-256-GCM under the
-- current key of TicketsTranscriptKeyFile (key_id says which), the
-- ticket's id as associated data.  The database never sees the text.

CREATE TABLE ticket_transcripts (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id      uuid NOT NULL REFERENCES organizations(id),
    ticket_id   uuid NOT NULL REFERENCES tickets(id),
    version     integer NOT NULL CHECK (version > 0),
    key_id      text NOT NULL,
    sealed      text NOT NULL,      -- base64(nonce || ciphertext || tag)
    closed_at   timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (ticket_id, version)
);
CREATE INDEX ticket_transcripts_key ON ticket_transcripts (org_id, key_id);

-- The whole thread of a ticket, as it is sealed: the ticket, every
-- message with its author, the attachments' names and hashes, and the
-- audit trail.  Internal items keep their "internal" flag, so the
-- customers' view can leave them out once opened.
CREATE FUNCTION tk_transcript_doc(p_ticket uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'ticket', tk_ticket_json(t),
        'messages', (SELECT coalesce(jsonb_agg(tk_message_json(m)
                                               || jsonb_build_object(
                                                  'authorName', u.name)
                                               ORDER BY m.created_at, m.id), '[]')
                       FROM ticket_messages m LEFT JOIN users u ON u.id = m.author_id
                      WHERE m.ticket_id = t.id),
        'attachments', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                   'id', a.id, 'filename', a.filename,
                                   'sha256', a.sha256, 'size', a.size,
                                   'messageId', a.message_id,
                                   'internal', a.internal,
                                   'createdAt', tk_ts(a.created_at))
                               ORDER BY a.created_at, a.id), '[]')
                          FROM attachments a WHERE a.ticket_id = t.id),
        'events', (SELECT coalesce(jsonb_agg(tk_event_json(e) ORDER BY e.id), '[]')
                     FROM ticket_events e WHERE e.ticket_id = t.id))
      FROM tickets t WHERE t.id = p_ticket
$$;
