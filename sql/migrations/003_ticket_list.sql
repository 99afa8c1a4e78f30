-- 003_ticket_list.sql: the ticket list, planned for the filters at hand.
--
-- The list takes fourteen optional filters and eight sort orders.  As one
-- prepared statement with "(filter IS NULL OR ...)" conditions, PostgreSQL
-- soon settles on a generic plan that cannot use the index a given request
-- needs, and reads every ticket of the organization.  In a PL/pgSQL
-- function run with plan_cache_mode = force_custom_plan, each call is
-- planned with its actual values: absent filters fold away and the
-- matching index is used.  The total is counted apart (an index-only scan
-- where it can be), so the page query can stop after its rows, and only
-- the page's rows are turned into JSON.
--
-- Each caller gets its own view of the ticket (tk_ticket_view, 002):
-- own_user is set for customers only.

CREATE FUNCTION tk_ticket_list(
    p_org uuid, p_own_user uuid, p_statuses text[], p_priorities text[],
    p_product_area text, p_category text, p_assignee uuid,
    p_unassigned boolean, p_customer uuid, p_sources text[], p_tag text,
    p_created_from timestamptz, p_created_to timestamptz, p_q tsquery,
    p_sort text, p_limit int, p_offset int)
RETURNS TABLE (doc text, total bigint)
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    n bigint;
BEGIN
    -- The same conditions in both queries: keep them identical.
    SELECT count(*) INTO n
      FROM tickets t
     WHERE
       t.org_id = p_org AND t.deleted_at IS NULL
       AND (p_own_user IS NULL OR t.creator_id = p_own_user
            OR t.customer_id IN (SELECT c.id FROM customers c
                                  WHERE c.user_id = p_own_user))
       AND (p_statuses IS NULL OR t.status = ANY (p_statuses))
       AND (p_priorities IS NULL OR t.priority = ANY (p_priorities))
       AND (p_product_area IS NULL OR t.product_area = p_product_area)
       AND (p_category IS NULL OR t.category = p_category)
       AND (p_assignee IS NULL OR t.assignee_id = p_assignee)
       AND (p_unassigned IS NOT TRUE OR t.assignee_id IS NULL)
       AND (p_customer IS NULL OR t.customer_id = p_customer)
       AND (p_sources IS NULL OR t.source = ANY (p_sources))
       AND (p_tag IS NULL OR t.tags @> ARRAY[p_tag])
       AND (p_created_from IS NULL OR t.created_at >= p_created_from)
       AND (p_created_to IS NULL OR t.created_at < p_created_to)
       AND (p_q IS NULL OR t.search @@ p_q);
    RETURN QUERY
    SELECT tk_ticket_view(page, p_own_user IS NULL)::text, n
      FROM (SELECT t.*
              FROM tickets t
             WHERE
               t.org_id = p_org AND t.deleted_at IS NULL
               AND (p_own_user IS NULL OR t.creator_id = p_own_user
                    OR t.customer_id IN (SELECT c.id FROM customers c
                                          WHERE c.user_id = p_own_user))
               AND (p_statuses IS NULL OR t.status = ANY (p_statuses))
               AND (p_priorities IS NULL OR t.priority = ANY (p_priorities))
               AND (p_product_area IS NULL OR t.product_area = p_product_area)
               AND (p_category IS NULL OR t.category = p_category)
               AND (p_assignee IS NULL OR t.assignee_id = p_assignee)
               AND (p_unassigned IS NOT TRUE OR t.assignee_id IS NULL)
               AND (p_customer IS NULL OR t.customer_id = p_customer)
               AND (p_sources IS NULL OR t.source = ANY (p_sources))
               AND (p_tag IS NULL OR t.tags @> ARRAY[p_tag])
               AND (p_created_from IS NULL OR t.created_at >= p_created_from)
               AND (p_created_to IS NULL OR t.created_at < p_created_to)
               AND (p_q IS NULL OR t.search @@ p_q)
             ORDER BY
               CASE WHEN p_sort = 'createdAt' THEN t.created_at END ASC,
               CASE WHEN p_sort = 'updatedAt' THEN t.updated_at END ASC,
               CASE WHEN p_sort = '-updatedAt' THEN t.updated_at END DESC,
               CASE WHEN p_sort = 'number' THEN t.number END ASC,
               CASE WHEN p_sort = '-number' THEN t.number END DESC,
               CASE WHEN p_sort = 'priority'
                    THEN array_position(ARRAY['low','medium','high','urgent'], t.priority) END ASC,
               CASE WHEN p_sort = '-priority'
                    THEN array_position(ARRAY['low','medium','high','urgent'], t.priority) END DESC,
               t.created_at DESC, t.id
             LIMIT p_limit OFFSET p_offset) page;
END;
$$;
