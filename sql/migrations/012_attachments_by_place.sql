-- 012_attachments_by_place.sql: the same content is one attachment per
-- place, not per ticket.
--
-- An upload of bytes the ticket has already is answered with the existing
-- attachment (200).  Matched on the ticket alone, a customer's upload of
-- what staff had attached to an internal note would have been answered
-- with that note's attachment (its message, its name, who uploaded it),
-- and a file for a note would have been taken for a public one.  So the
-- same content is the same attachment only on the same message (or on
-- the ticket itself) with the same visibility.

ALTER TABLE attachments DROP CONSTRAINT attachments_ticket_id_sha256_key;
CREATE UNIQUE INDEX attachments_same
    ON attachments (ticket_id, sha256, internal,
                    coalesce(message_id, '00000000-0000-0000-0000-000000000000'));
