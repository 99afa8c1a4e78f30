-- 008_faqs.sql: FAQ articles, and their links to tickets.
--
-- An article is written by staff as a draft and published for customers
-- and for the anonymous visitors of the organization's public pages
-- (docs/faqs.md).  Agents link articles to tickets; a ticket's detail
-- lists them, and each link or unlink is an audit row of the ticket
-- (ARTICLE_LINKED, ARTICLE_UNLINKED) with its ticket_updated event.

CREATE TABLE faq_articles (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id        uuid NOT NULL REFERENCES organizations(id),
    title         text NOT NULL,
    body          text NOT NULL,
    category      text,
    tags          text[] NOT NULL DEFAULT '{}',
    status        text NOT NULL DEFAULT 'draft'
                  CHECK (status IN ('draft', 'published')),
    author_id     uuid REFERENCES users(id),
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz,
    search        tsvector GENERATED ALWAYS AS (
                      setweight(to_tsvector('english', title), 'A') ||
                      setweight(to_tsvector('english', body), 'B')) STORED
);
CREATE INDEX faq_articles_org ON faq_articles (org_id, updated_at DESC);
CREATE INDEX faq_articles_search ON faq_articles USING gin (search);

CREATE TABLE ticket_articles (
    ticket_id   uuid NOT NULL REFERENCES tickets(id),
    article_id  uuid NOT NULL REFERENCES faq_articles(id),
    org_id      uuid NOT NULL REFERENCES organizations(id),
    linked_by   uuid REFERENCES users(id),
    linked_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ticket_id, article_id)
);
CREATE INDEX ticket_articles_article ON ticket_articles (article_id);

-- An article as staff see it (staff true), or as customers and visitors
-- do: published ones only ever reach them, without who wrote it.
CREATE FUNCTION tk_faq_json(a faq_articles, staff boolean) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object(
        'id', a.id,
        'title', a.title,
        'body', a.body,
        'category', a.category,
        'tags', to_jsonb(a.tags),
        'publishedAt', tk_ts(a.published_at),
        'updatedAt', tk_ts(a.updated_at))
        || CASE WHEN staff THEN jsonb_build_object(
               'status', a.status,
               'authorId', a.author_id,
               'version', a.version,
               'createdAt', tk_ts(a.created_at))
           ELSE '{}'::jsonb END
$$;

-- The articles linked to a ticket, in the order they were linked, as
-- its detail and GET /api/tickets/:id/articles list them: the link, not
-- the article's text (GET /api/faqs/:id has that).  staff false: the
-- published ones only, without their status.
CREATE FUNCTION tk_ticket_articles(p_ticket uuid, staff boolean) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object(
                                  'id', a.id,
                                  'title', a.title,
                                  'category', a.category,
                                  'linkedAt', tk_ts(l.linked_at))
                              || CASE WHEN staff
                                      THEN jsonb_build_object('status', a.status)
                                      ELSE '{}'::jsonb END
                              ORDER BY l.linked_at, a.id), '[]')
      FROM ticket_articles l JOIN faq_articles a ON a.id = l.article_id
     WHERE l.ticket_id = p_ticket AND (staff OR a.status = 'published')
$$;

-- Link (p_linked) or unlink article p_article and ticket p_ticket, as
-- p_actor: the ticket after it, its version moved (the customers' one too
-- when p_public, the article being in their view); no row when there was
-- nothing to do.  The caller locked the ticket and writes the audit row
-- and event.
CREATE FUNCTION tk_ticket_article_set(p_ticket uuid, p_article uuid,
                                      p_actor uuid, p_linked boolean,
                                      p_public boolean)
RETURNS SETOF tickets
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    t tickets;
BEGIN
    IF p_linked THEN
        INSERT INTO ticket_articles (ticket_id, article_id, org_id, linked_by)
        SELECT x.id, p_article, x.org_id, p_actor FROM tickets x WHERE x.id = p_ticket
        ON CONFLICT DO NOTHING;
    ELSE
        DELETE FROM ticket_articles
         WHERE ticket_id = p_ticket AND article_id = p_article;
    END IF;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    UPDATE tickets x
       SET version = x.version + 1, updated_at = now(),
           public_version = x.public_version + CASE WHEN p_public THEN 1 ELSE 0 END,
           public_updated_at = CASE WHEN p_public THEN now()
                                    ELSE x.public_updated_at END
     WHERE x.id = p_ticket
    RETURNING * INTO t;
    RETURN NEXT t;
END;
$$;
