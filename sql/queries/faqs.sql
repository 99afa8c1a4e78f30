-- faqs.sql: the statements of /api/faqs, of the organizations' public
-- FAQ pages (/api/public/:org/faqs) and of a ticket's linked articles
-- (/api/tickets/:id/articles); see sql/migrations/008_faqs.sql.
--
-- Every reading statement takes "staff": false shows published articles
-- only, in the customers' view (tk_faq_json).

-- name: faq_list
WITH p AS (SELECT %s::uuid AS org_id, %s::boolean AS staff,
                  %s::text AS status, %s::text AS category, %s::text AS tag,
                  %s::int AS lim, %s::int AS off)
SELECT tk_faq_json(a, p.staff)::text, count(*) OVER ()
  FROM p JOIN faq_articles a ON a.org_id = p.org_id
 WHERE (p.staff OR a.status = 'published')
   AND (p.status IS NULL OR a.status = p.status)
   AND (p.category IS NULL OR a.category = p.category)
   AND (p.tag IS NULL OR a.tags @> ARRAY[p.tag])
 ORDER BY a.updated_at DESC, a.id
 LIMIT (SELECT lim FROM p) OFFSET (SELECT off FROM p)

-- name: faq_search
-- Ranked full text: a match in the title weighs more than one in the body.
WITH p AS NOT MATERIALIZED (
    SELECT %s::uuid AS org_id, %s::boolean AS staff,
           websearch_to_tsquery('english', %s) AS q,
           %s::int AS lim, %s::int AS off),
page AS (
    SELECT a AS article, ts_rank(a.search, p.q) AS rank, count(*) OVER () AS total
      FROM p, faq_articles a
     WHERE a.org_id = p.org_id AND (p.staff OR a.status = 'published')
       AND a.search @@ p.q
     ORDER BY rank DESC, a.updated_at DESC, a.id
     LIMIT (SELECT lim FROM p) OFFSET (SELECT off FROM p))
SELECT (tk_faq_json(page.article, p.staff)
        || jsonb_build_object('rank', page.rank))::text,
       page.total
  FROM page, p

-- name: faq_get
SELECT tk_faq_json(a, %s::boolean)::text, a.version
  FROM faq_articles a
 WHERE a.id = %s::uuid AND a.org_id = %s::uuid
   AND (%s::boolean OR a.status = 'published')

-- name: faq_public_org
-- The organization of a public FAQ page, by its slug.
SELECT id FROM organizations WHERE slug = %s

-- name: faq_lock
SELECT a.id, a.version, a.title
  FROM faq_articles a
 WHERE a.id = %s::uuid AND a.org_id = %s::uuid
   FOR NO KEY UPDATE

-- name: faq_create
WITH a AS (
    INSERT INTO faq_articles (org_id, author_id, title, body, category, tags,
                              status, published_at)
    SELECT p.org_id, p.author_id, p.title, p.body, p.category,
           ARRAY(SELECT jsonb_array_elements_text(coalesce(p.tags, '[]'))),
           p.status, CASE WHEN p.status = 'published' THEN now() END
      FROM (SELECT %s::uuid AS org_id, %s::uuid AS author_id, %s::text AS title,
                   %s::text AS body, %s::text AS category, %s::jsonb AS tags,
                   coalesce(%s::text, 'draft') AS status) p
    RETURNING *)
SELECT tk_faq_json(a, true)::text, a.version, a.id FROM a

-- name: faq_update
-- The tickets an article is linked to show it in their detail: their
-- versions move with it, so their ETags do (the customers' one when the
-- article was or is published: in their view).  "was" reads the article
-- before the edit (every part of the statement sees the same snapshot).
WITH p AS (
    SELECT %s::uuid AS id,
           %s::boolean AS set_title, %s::text AS title,
           %s::boolean AS set_body, %s::text AS body,
           %s::boolean AS set_category, %s::text AS category,
           %s::boolean AS set_tags,
           ARRAY(SELECT jsonb_array_elements_text(coalesce(%s::jsonb, '[]'))) AS tags,
           %s::boolean AS set_status, %s::text AS status),
a AS (
    UPDATE faq_articles a
       SET title = CASE WHEN p.set_title THEN p.title ELSE a.title END,
           body = CASE WHEN p.set_body THEN p.body ELSE a.body END,
           category = CASE WHEN p.set_category THEN p.category ELSE a.category END,
           tags = CASE WHEN p.set_tags THEN p.tags ELSE a.tags END,
           status = CASE WHEN p.set_status THEN p.status ELSE a.status END,
           published_at = CASE
               WHEN p.set_status AND p.status = 'published'
                    AND a.status <> 'published' THEN now()
               WHEN p.set_status AND p.status = 'draft' THEN NULL
               ELSE a.published_at END,
           version = a.version + 1,
           updated_at = now()
      FROM p
     WHERE a.id = p.id
    RETURNING a.*),
was AS (
    SELECT f.status = 'published' AS public
      FROM p JOIN faq_articles f ON f.id = p.id),
t AS (
    UPDATE tickets t
       SET version = t.version + 1,
           public_version = t.public_version
                            + CASE WHEN a.status = 'published' OR was.public
                                   THEN 1 ELSE 0 END
      FROM a JOIN ticket_articles l ON l.article_id = a.id, was
     WHERE t.id = l.ticket_id
    RETURNING t.id)
SELECT tk_faq_json(a, true)::text, a.version, (SELECT count(*) FROM t)
  FROM a

-- name: faq_lock_for_delete
-- FOR UPDATE, unlike faq_lock: it conflicts with the FOR KEY SHARE a link
-- takes on the article, so no link can commit while the delete looks.
SELECT a.id, a.version
  FROM faq_articles a
 WHERE a.id = %s::uuid AND a.org_id = %s::uuid
   FOR UPDATE

-- name: faq_links
-- The tickets linked to an article, counted in a statement of its own
-- after the lock (a snapshot taken after any link that committed first).
SELECT count(*) FROM ticket_articles l WHERE l.article_id = %s::uuid

-- name: faq_delete
DELETE FROM faq_articles WHERE id = %s::uuid

-- name: ticket_articles_list
SELECT tk_ticket_articles(%s::uuid, %s::boolean)::text

-- name: ticket_article_find
-- The article to link, in the ticket's organization, whether it is
-- linked already, and whether customers see it.
SELECT a.id, a.title,
       EXISTS (SELECT 1 FROM ticket_articles l
                WHERE l.ticket_id = %s::uuid AND l.article_id = a.id),
       a.status = 'published'
  FROM faq_articles a
 WHERE a.id = %s::uuid AND a.org_id = %s::uuid

-- name: ticket_article_link
-- The ticket's documents and versions after the link, as
-- ticket_set_status answers them.  The customers' version moves only for
-- a published article: a draft is not in their view of the ticket.
SELECT tk_ticket_json(t)::text, t.version,
       tk_ticket_view(t, false)::text, t.public_version
  FROM tk_ticket_article_set(%s::uuid, %s::uuid, %s::uuid, true, %s::boolean) t

-- name: ticket_article_unlink
-- The same for the link it removes (no row: none).
SELECT tk_ticket_json(t)::text, t.version,
       tk_ticket_view(t, false)::text, t.public_version
  FROM tk_ticket_article_set(%s::uuid, %s::uuid, NULL, false, %s::boolean) t
