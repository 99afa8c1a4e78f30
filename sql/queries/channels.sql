-- channels.sql: the statements of /api/channels and of the webhooks'
-- look-up of their channel (sql/migrations/007_messaging.sql).  Secrets
-- are written here and read only by channel_for_webhook and send_load
-- (conversations.sql): no statement that answers a client returns them.

-- name: channel_list
WITH p AS (SELECT %s::uuid AS org_id, %s::text AS platform,
                  %s::int AS lim, %s::int AS off)
SELECT tk_channel_json(ch)::text, count(*) OVER ()
  FROM p JOIN channels ch ON ch.org_id = p.org_id
 WHERE ch.deleted_at IS NULL
   AND (p.platform IS NULL OR ch.platform = p.platform)
 ORDER BY ch.created_at, ch.id
 LIMIT (SELECT lim FROM p) OFFSET (SELECT off FROM p)

-- name: channel_get
SELECT tk_channel_json(ch)::text, ch.version
  FROM channels ch
 WHERE ch.id = %s::uuid AND ch.org_id = %s::uuid AND ch.deleted_at IS NULL

-- name: channel_create
-- None is made when the organization has this account on this platform
-- already (or a web chat).
INSERT INTO channels (org_id, platform, name, account_id, api_base, settings,
                      secrets)
VALUES (%s::uuid, %s, %s, %s, %s, coalesce(%s::jsonb, '{}'),
        coalesce(%s::jsonb, '{}'))
ON CONFLICT DO NOTHING
RETURNING tk_channel_json(channels)::text, version, id

-- name: channel_lock
SELECT ch.id, ch.version, tk_channel_json(ch)::text, ch.platform
  FROM channels ch
 WHERE ch.id = %s::uuid AND ch.org_id = %s::uuid AND ch.deleted_at IS NULL
   FOR NO KEY UPDATE

-- name: channel_update
-- No row when the organization has another channel for the account.  A
-- new apiBase drops the token sends are made with (accessToken,
-- botToken): the stored one never goes to a base it was not set for;
-- PUT /secrets gives it again.
UPDATE channels ch
   SET name = coalesce(p.name, ch.name),
       account_id = coalesce(p.account_id, ch.account_id),
       api_base = CASE WHEN p.set_api_base THEN p.api_base ELSE ch.api_base END,
       settings = coalesce(p.settings, ch.settings),
       secrets = CASE WHEN p.set_api_base AND p.api_base IS DISTINCT FROM ch.api_base
                      THEN coalesce(p.secrets, ch.secrets) - 'accessToken' - 'botToken'
                      ELSE coalesce(p.secrets, ch.secrets) END,
       version = ch.version + 1,
       updated_at = now()
  FROM (SELECT %s::uuid AS id, %s::text AS name, %s::text AS account_id,
               %s::boolean AS set_api_base, %s::text AS api_base,
               %s::jsonb AS settings, %s::jsonb AS secrets) p
 WHERE ch.id = p.id
   AND NOT EXISTS (SELECT 1 FROM channels o
                    WHERE o.org_id = ch.org_id AND o.platform = ch.platform
                      AND o.account_id = p.account_id AND o.id <> ch.id
                      AND o.deleted_at IS NULL)
RETURNING tk_channel_json(ch)::text, ch.version

-- name: channel_delete
UPDATE channels SET deleted_at = now(), updated_at = now(), version = version + 1
 WHERE id = %s::uuid

-- name: channel_for_webhook
-- The channel a webhook URL names, with what its checks need.  The URL
-- is public: the platform must match too, and a deleted channel is none.
SELECT ch.org_id, ch.account_id, ch.secrets::text, ch.settings::text
  FROM channels ch
 WHERE ch.id = %s::uuid AND ch.platform = %s AND ch.deleted_at IS NULL

-- name: channel_web
-- The organization's web chat channel, made on first use.
WITH p AS (SELECT %s::uuid AS org_id),
made AS (
    INSERT INTO channels (org_id, platform, name, account_id)
    SELECT p.org_id, 'web', 'Web chat', o.slug
      FROM p JOIN organizations o ON o.id = p.org_id
     WHERE NOT EXISTS (SELECT 1 FROM channels ch
                        WHERE ch.org_id = p.org_id AND ch.platform = 'web'
                          AND ch.deleted_at IS NULL)
    ON CONFLICT DO NOTHING
    RETURNING id)
SELECT id FROM made
UNION ALL
SELECT ch.id FROM channels ch, p
 WHERE ch.org_id = p.org_id AND ch.platform = 'web' AND ch.deleted_at IS NULL
