-- 009_attachments.sql: files attached to tickets (docs/attachments.md).
--
-- The bytes live under TicketsUploadDir, named by the attachment's id;
-- the row says what they are.  A file is written as ".tmp-<id>" first and
-- renamed to "<id>" once its row has committed, so a row always has its
-- file under one of the two names (a purge job finishes a rename a crash
-- interrupted, and removes temporary files no row claims).  The same
-- content (by SHA-256) is stored once per ticket.

CREATE TABLE attachments (
    id            uuid PRIMARY KEY,
    org_id        uuid NOT NULL REFERENCES organizations(id),
    ticket_id     uuid NOT NULL REFERENCES tickets(id),
    message_id    uuid REFERENCES ticket_messages(id),
    internal      boolean NOT NULL DEFAULT false,  -- of an internal note
    filename      text NOT NULL,
    content_type  text NOT NULL,
    size          bigint NOT NULL CHECK (size > 0),
    sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    uploaded_by   uuid REFERENCES users(id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (ticket_id, sha256)
);

CREATE FUNCTION tk_attachment_json(a attachments) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object(
        'id', a.id,
        'ticketId', a.ticket_id,
        'messageId', a.message_id,
        'filename', a.filename,
        'contentType', a.content_type,
        'size', a.size,
        'sha256', a.sha256,
        'uploadedBy', a.uploaded_by,
        'url', '/api/attachments/' || a.id,
        'createdAt', tk_ts(a.created_at))
$$;

-- A ticket's attachments, oldest first; customers do not see those of
-- internal notes.
CREATE FUNCTION tk_ticket_attachments(p_ticket uuid, staff boolean) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(jsonb_agg(tk_attachment_json(a) ORDER BY a.created_at, a.id),
                    '[]')
      FROM attachments a
     WHERE a.ticket_id = p_ticket AND (staff OR NOT a.internal)
$$;
