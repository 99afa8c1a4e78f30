-- 005_jobs.sql: the durable job queue; live events found by organization;
-- ticket messages say "content"; the ticket list says its conditions once
-- and sorts customers by their time.
--
-- Jobs.  Work that runs outside a request and must survive restarts
-- (platform sends, webhook deliveries, copilot answers, purges) is a row
-- here, inserted in the same transaction as the change that needs it, so
-- a rolled-back change leaves no job and a committed one always has its
-- job.  Workers (mod_tickets/work/tk_jobs.c, threads in every child of
-- every host) claim ready rows with FOR UPDATE SKIP LOCKED, so no two take
-- the same job, and hold a lease while they run it; a job whose worker
-- died is taken again once its lease has run out.  A failed attempt is
-- retried after an exponential backoff with jitter until max_attempts,
-- then the job is marked failed and kept for inspection.  docs/jobs.md has
-- the whole protocol.
--
--   queued   --claim-->  running  --done-->   done
--   retrying --claim-->  running  --retry-->  retrying | failed
--                        running  --lease runs out--> retrying | failed

CREATE TABLE jobs (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id         uuid REFERENCES organizations(id),  -- NULL: the host's own work
    kind           text NOT NULL CHECK (kind ~ '^[A-Za-z0-9_.]{1,63}$'),
    payload        jsonb NOT NULL DEFAULT '{}',
    state          text NOT NULL DEFAULT 'queued'
                   CHECK (state IN ('queued', 'running', 'retrying', 'done', 'failed')),
    attempts       integer NOT NULL DEFAULT 0,
    max_attempts   integer NOT NULL DEFAULT 5 CHECK (max_attempts BETWEEN 1 AND 100),
    run_at         timestamptz NOT NULL DEFAULT now(),
    lease_holder   text,            -- "<host>:<pid>:<thread>" of the worker
    lease_expires  timestamptz,
    last_error     text,
    unique_key     text,            -- at most one unfinished job per key
    created_at     timestamptz NOT NULL DEFAULT now(),
    started_at     timestamptz,     -- when its first attempt began
    finished_at    timestamptz
);
-- The claim reads the ready jobs in run_at order; the rescue finds expired
-- leases; the purge and the periodic schedule read finished jobs.
CREATE INDEX jobs_ready ON jobs (run_at) WHERE state IN ('queued', 'retrying');
CREATE INDEX jobs_leases ON jobs (lease_expires) WHERE state = 'running';
CREATE INDEX jobs_finished ON jobs (kind, finished_at) WHERE state IN ('done', 'failed');
CREATE INDEX jobs_org ON jobs (org_id, state) WHERE org_id IS NOT NULL;
CREATE UNIQUE INDEX jobs_unique ON jobs (unique_key)
    WHERE state IN ('queued', 'running', 'retrying');

-- Workers LISTEN on "tickets_jobs"; a commit that enqueued jobs NOTIFYs it
-- afterwards (the wake statement of sql/queries.sql).  The notification is
-- a hint: workers also look every TicketsJobPollInterval seconds, so a
-- lost one only delays a job.

-- ---------------------------------------------------------------------
-- Live events by organization: a new stream tells its client the newest
-- event of its own organization, never another's (stream_event_newest_of)
-- ---------------------------------------------------------------------

CREATE INDEX stream_events_org ON stream_events (org_id, xid, id);

-- ---------------------------------------------------------------------
-- Ticket messages: "content", as every other message of the product
-- ---------------------------------------------------------------------

ALTER TABLE ticket_messages RENAME COLUMN body TO content;

CREATE OR REPLACE FUNCTION tk_message_json(m ticket_messages) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object(
        'id', m.id,
        'ticketId', m.ticket_id,
        'authorId', m.author_id,
        'authorType', m.author_type,
        'content', m.content,
        'internal', m.internal,
        'createdAt', tk_ts(m.created_at))
$$;

-- ---------------------------------------------------------------------
-- The ticket list (003), with its conditions written once
-- ---------------------------------------------------------------------

-- The count and the page read the same rows: a CTE that is NOT
-- MATERIALIZED is planned into each of them as if written there (the
-- count an InitPlan run once), so the count stays an index-only scan where
-- it can and the page still stops after its rows; PL/pgSQL with
-- force_custom_plan still plans each call with its values (003 says why).
-- Customers (p_own_user set) sort by the time they can see
-- (public_updated_at, which internal notes do not move), never by the
-- staff's updated_at.
CREATE OR REPLACE FUNCTION tk_ticket_list(
    p_org uuid, p_own_user uuid, p_statuses text[], p_priorities text[],
    p_product_area text, p_category text, p_assignee uuid,
    p_unassigned boolean, p_customer uuid, p_sources text[], p_tag text,
    p_created_from timestamptz, p_created_to timestamptz, p_q tsquery,
    p_sort text, p_limit int, p_offset int)
RETURNS TABLE (doc text, total bigint)
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_custom_plan
AS $$
BEGIN
    RETURN QUERY
    WITH matching AS NOT MATERIALIZED (
        SELECT t AS ticket, t.id, t.number, t.priority, t.created_at,
               CASE WHEN p_own_user IS NULL THEN t.updated_at
                    ELSE t.public_updated_at END AS seen_updated_at
          FROM tickets t
         WHERE t.org_id = p_org AND t.deleted_at IS NULL
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
           AND (p_q IS NULL OR t.search @@ p_q))
    SELECT tk_ticket_view(page.ticket, p_own_user IS NULL)::text,
           (SELECT count(*) FROM matching)
      FROM (SELECT m.ticket
              FROM matching m
             ORDER BY
               CASE WHEN p_sort = 'createdAt' THEN m.created_at END ASC,
               CASE WHEN p_sort = 'updatedAt' THEN m.seen_updated_at END ASC,
               CASE WHEN p_sort = '-updatedAt' THEN m.seen_updated_at END DESC,
               CASE WHEN p_sort = 'number' THEN m.number END ASC,
               CASE WHEN p_sort = '-number' THEN m.number END DESC,
               CASE WHEN p_sort = 'priority'
                    THEN array_position(ARRAY['low','medium','high','urgent'], m.priority) END ASC,
               CASE WHEN p_sort = '-priority'
                    THEN array_position(ARRAY['low','medium','high','urgent'], m.priority) END DESC,
               m.created_at DESC, m.id
             LIMIT p_limit OFFSET p_offset) page;
END;
$$;
