-- attachments.sql: the statements of POST /api/tickets/:id/attachments,
-- GET /api/attachments/:id and the purge of the upload directory (see
-- sql/migrations/009_attachments.sql).

-- name: attachment_message
-- The message an upload names, on the ticket: whether it is internal.
SELECT m.internal FROM ticket_messages m
 WHERE m.id = %s::uuid AND m.ticket_id = %s::uuid

-- name: attachment_same
-- The attachment of the same content in the same place (the message, or
-- the ticket itself, with the same visibility), if there is one (012).
SELECT tk_attachment_json(a)::text FROM attachments a
 WHERE a.ticket_id = %s::uuid AND a.sha256 = %s AND a.internal = %s::boolean
   AND a.message_id IS NOT DISTINCT FROM %s::uuid

-- name: attachment_create
-- The row, and the ticket's versions moved (the customers' one only for
-- an attachment they can see); the attachment's document and the
-- ticket's (staff view) for the event.
WITH p AS (SELECT %s::uuid AS id, %s::uuid AS ticket_id, %s::uuid AS message_id,
                  %s::boolean AS internal, %s::text AS filename,
                  %s::text AS content_type, %s::bigint AS size,
                  %s::text AS sha256, %s::uuid AS uploaded_by),
a AS (
    INSERT INTO attachments (id, org_id, ticket_id, message_id, internal,
                             filename, content_type, size, sha256, uploaded_by)
    SELECT p.id, t.org_id, t.id, p.message_id, p.internal, p.filename,
           p.content_type, p.size, p.sha256, p.uploaded_by
      FROM p JOIN tickets t ON t.id = p.ticket_id
    RETURNING *),
t AS (
    UPDATE tickets t
       SET version = t.version + 1, updated_at = now(),
           public_version = t.public_version + CASE WHEN a.internal THEN 0 ELSE 1 END,
           public_updated_at = CASE WHEN a.internal THEN t.public_updated_at
                                    ELSE now() END
      FROM a WHERE t.id = a.ticket_id
    RETURNING t.*)
SELECT tk_attachment_json(a)::text, tk_ticket_json(t)::text
  FROM a, t

-- name: attachment_get
-- An attachment as its reader may see it: the ticket's visibility (a
-- customer: their own tickets, never an internal note's file).
WITH p AS (SELECT %s::uuid AS id, %s::uuid AS org_id, %s::uuid AS own_user)
SELECT a.id, a.filename, a.content_type, a.size, a.sha256
  FROM p, attachments a JOIN tickets t ON t.id = a.ticket_id
 WHERE a.id = p.id AND a.org_id = p.org_id AND t.deleted_at IS NULL
   AND (p.own_user IS NULL
        OR (NOT a.internal
            AND (t.creator_id = p.own_user
                 OR t.customer_id IN (SELECT c.id FROM customers c
                                       WHERE c.user_id = p.own_user))))

-- name: attachment_exists
SELECT 1 FROM attachments WHERE id = %s::uuid
