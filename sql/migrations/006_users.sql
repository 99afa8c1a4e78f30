-- 006_users.sql: the accounts of an organization, as its admins manage
-- them (/api/users).  What an admin sees of a user never mentions a
-- password, not even whether one is set.
--
-- A user's row gets a version, bumped by every change, for its ETag and
-- If-Match.  What an admin sees of a user is tk_user_admin_json: who they
-- are and whether they may sign in, never a password hash.

ALTER TABLE users
    ADD COLUMN version integer NOT NULL DEFAULT 1,
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

CREATE FUNCTION tk_user_admin_json(u users) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object(
        'id', u.id,
        'email', u.email,
        'name', u.name,
        'role', u.role,
        'disabled', u.disabled,
        'createdAt', tk_ts(u.created_at),
        'updatedAt', tk_ts(u.updated_at))
$$;
