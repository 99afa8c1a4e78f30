-- transcripts.sql: the statements of the transcripts of closed tickets
-- (sql/migrations/010_transcripts.sql): stored at each close, read by
-- GET /api/tickets/:id/transcript, sealed again by the rekey.

-- name: transcript_doc
SELECT tk_transcript_doc(%s::uuid)::text

-- name: transcript_insert
-- The next version of the ticket's transcript (the ticket is locked by
-- the closing change, so versions do not race).
INSERT INTO ticket_transcripts (org_id, ticket_id, version, key_id, sealed,
                                closed_at)
SELECT t.org_id, t.id,
       coalesce((SELECT max(x.version) FROM ticket_transcripts x
                  WHERE x.ticket_id = t.id), 0) + 1,
       %s, %s, coalesce(t.closed_at, now())
  FROM tickets t WHERE t.id = %s::uuid

-- name: transcript_get
-- The latest version, or the one asked for.
SELECT x.version, x.key_id, x.sealed, tk_ts(x.closed_at), x.id
  FROM ticket_transcripts x
 WHERE x.ticket_id = %s::uuid AND (%s::int IS NULL OR x.version = %s::int)
 ORDER BY x.version DESC
 LIMIT 1

-- name: transcript_stale
-- The next batch (after a cursor id) of the organization's transcripts
-- sealed with a key of the ring (a JSON array of ids) other than the
-- current one.
SELECT x.id, x.ticket_id, x.key_id, x.sealed
  FROM ticket_transcripts x
 WHERE x.org_id = %s::uuid AND x.key_id <> %s AND x.id > %s::uuid
   AND x.key_id IN (SELECT jsonb_array_elements_text(%s::jsonb))
 ORDER BY x.id
 LIMIT 100
   FOR UPDATE

-- name: transcript_keyless
-- How many of the organization's transcripts no key of the ring opens.
SELECT count(*) FROM ticket_transcripts x
 WHERE x.org_id = %s::uuid
   AND x.key_id NOT IN (SELECT jsonb_array_elements_text(%s::jsonb))

-- name: transcript_reseal
UPDATE ticket_transcripts SET key_id = %s, sealed = %s WHERE id = %s::uuid
