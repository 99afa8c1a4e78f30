-- 002_public_view.sql: what a customer sees of a ticket does not move when
-- staff write an internal note.
--
-- Every change bumps version and updated_at, the staff view's ETag and
-- time.  Internal notes are invisible to customers, so they must not bump
-- what customers can observe either: public_version and public_updated_at
-- move with every change except an internal note, and the customer view
-- (tk_ticket_view with staff = false) shows them as version and updatedAt.

ALTER TABLE tickets
    ADD COLUMN public_version integer NOT NULL DEFAULT 1,
    ADD COLUMN public_updated_at timestamptz;
UPDATE tickets SET public_version = version, public_updated_at = updated_at;
ALTER TABLE tickets
    ALTER COLUMN public_updated_at SET NOT NULL,
    ALTER COLUMN public_updated_at SET DEFAULT now();

CREATE FUNCTION tk_ticket_view(t tickets, staff boolean) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN staff THEN tk_ticket_json(t)
                ELSE tk_ticket_json(t) || jsonb_build_object(
                         'version', t.public_version,
                         'updatedAt', tk_ts(t.public_updated_at)) END
$$;
