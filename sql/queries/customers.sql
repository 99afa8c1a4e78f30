-- customers.sql: the statements of /api/customers (contacts; see
-- sql/migrations/007_messaging.sql).  Each change writes its live event
-- (customer_created, customer_updated, customer_deleted; staff only) in
-- the same statement.

-- name: customer_list
-- q matches a part of the name, email or phone, or a platform id exactly.
WITH p AS (SELECT %s::uuid AS org_id, %s::text AS q, %s::text AS tag,
                  %s::text AS platform, %s::uuid AS channel_id,
                  %s::timestamptz AS created_from, %s::timestamptz AS created_to,
                  %s::text AS sort, %s::int AS lim, %s::int AS off)
SELECT tk_customer_json(c)::text, count(*) OVER ()
  FROM p JOIN customers c ON c.org_id = p.org_id
 WHERE c.deleted_at IS NULL
   AND (p.q IS NULL OR strpos(lower(c.name), lower(p.q)) > 0
        OR strpos(lower(coalesce(c.email, '')), lower(p.q)) > 0
        OR strpos(coalesce(c.phone, ''), p.q) > 0
        OR EXISTS (SELECT 1 FROM customer_identities i
                    WHERE i.customer_id = c.id AND i.platform_user_id = p.q))
   AND (p.tag IS NULL OR c.tags @> ARRAY[p.tag])
   AND (p.platform IS NULL OR EXISTS (SELECT 1 FROM customer_identities i
                                       WHERE i.customer_id = c.id
                                         AND i.platform = p.platform))
   AND (p.channel_id IS NULL OR EXISTS (SELECT 1 FROM customer_identities i
                                         WHERE i.customer_id = c.id
                                           AND i.channel_id = p.channel_id))
   AND (p.created_from IS NULL OR c.created_at >= p.created_from)
   AND (p.created_to IS NULL OR c.created_at < p.created_to)
 ORDER BY
   CASE WHEN p.sort = 'createdAt' THEN c.created_at END ASC,
   CASE WHEN p.sort = 'updatedAt' THEN c.updated_at END ASC,
   CASE WHEN p.sort = '-updatedAt' THEN c.updated_at END DESC,
   CASE WHEN p.sort = 'name' THEN lower(c.name) END ASC,
   CASE WHEN p.sort = '-name' THEN lower(c.name) END DESC,
   c.created_at DESC, c.id
 LIMIT (SELECT lim FROM p) OFFSET (SELECT off FROM p)

-- name: customer_get
SELECT tk_customer_json(c)::text, c.version
  FROM customers c
 WHERE c.id = %s::uuid AND c.org_id = %s::uuid AND c.deleted_at IS NULL

-- name: customer_lock
SELECT c.id, c.version, tk_customer_json(c)::text
  FROM customers c
 WHERE c.id = %s::uuid AND c.org_id = %s::uuid AND c.deleted_at IS NULL
   FOR NO KEY UPDATE

-- name: customer_user_ok
-- A login that may be linked to a customer: a customer of the
-- organization not linked to another.
SELECT u.id,
       EXISTS (SELECT 1 FROM customers c
                WHERE c.user_id = u.id AND c.id IS DISTINCT FROM %s::uuid)
  FROM users u
 WHERE u.id = %s::uuid AND u.org_id = %s::uuid AND u.role = 'customer'

-- name: customer_create
WITH c AS (
    INSERT INTO customers (org_id, name, email, phone, avatar_url, notes, tags,
                           user_id)
    VALUES (%s::uuid, %s, %s, %s, %s, %s,
            ARRAY(SELECT jsonb_array_elements_text(coalesce(%s::jsonb, '[]'))),
            %s::uuid)
    RETURNING *),
e AS (SELECT tk_customer_event(c.org_id, 'customer_created', tk_customer_json(c))
        FROM c)
SELECT tk_customer_json(c)::text, c.version, c.id, (SELECT count(*) FROM e)
  FROM c

-- name: customer_update
WITH p AS (
    SELECT %s::uuid AS id,
           %s::boolean AS set_name, %s::text AS name,
           %s::boolean AS set_email, %s::text AS email,
           %s::boolean AS set_phone, %s::text AS phone,
           %s::boolean AS set_avatar, %s::text AS avatar_url,
           %s::boolean AS set_notes, %s::text AS notes,
           %s::boolean AS set_tags,
           ARRAY(SELECT jsonb_array_elements_text(coalesce(%s::jsonb, '[]'))) AS tags,
           %s::boolean AS set_user, %s::uuid AS user_id),
c AS (
    UPDATE customers c
       SET name = CASE WHEN p.set_name THEN p.name ELSE c.name END,
           email = CASE WHEN p.set_email THEN p.email ELSE c.email END,
           phone = CASE WHEN p.set_phone THEN p.phone ELSE c.phone END,
           avatar_url = CASE WHEN p.set_avatar THEN p.avatar_url ELSE c.avatar_url END,
           notes = CASE WHEN p.set_notes THEN p.notes ELSE c.notes END,
           tags = CASE WHEN p.set_tags THEN p.tags ELSE c.tags END,
           user_id = CASE WHEN p.set_user THEN p.user_id ELSE c.user_id END,
           version = c.version + 1,
           updated_at = now()
      FROM p
     WHERE c.id = p.id
    RETURNING c.*),
e AS (SELECT tk_customer_event(c.org_id, 'customer_updated', tk_customer_json(c))
        FROM c)
SELECT tk_customer_json(c)::text, c.version, (SELECT count(*) FROM e)
  FROM c

-- name: customer_delete
-- Soft delete: the customer's conversations and tickets stay theirs; a
-- login linked to it is let go (its next web chat makes a new record).
WITH c AS (
    UPDATE customers SET deleted_at = now(), updated_at = now(),
                         version = version + 1, user_id = NULL
     WHERE id = %s::uuid
    RETURNING *)
SELECT tk_customer_event(c.org_id, 'customer_deleted',
                         jsonb_build_object('id', c.id))
  FROM c

-- name: customer_merge
-- Move everything of customer "from" to "into" (both locked by the
-- caller, the third argument the actor): identities, conversations,
-- tickets, and a login when "into" has none; then "from" is deleted.
-- Returns into's document and version (tk_customer_merge says which
-- events it writes).
SELECT doc, version FROM tk_customer_merge(%s::uuid, %s::uuid, %s::uuid)
