-- 011_webhook_subscriptions.sql: outbound webhooks, Standard Webhooks
-- style (docs/webhooks.md).
--
-- An admin subscribes a URL to event types: the live event types (the
-- rows of stream_events) and the audit types (the rows of
-- ticket_events), or "*" for every one.  The event log feeds them: a trigger on each of the two
-- tables turns a row that a subscription of its organization wants into a
-- delivery and its job, in the transaction of the change that wrote the
-- row, so a delivery exists exactly when its change committed.  The
-- delivery keeps the body exactly as it is signed and sent, and its
-- webhook-id ("msg_" and its uuid) stays the same across attempts and
-- replays.
--
-- Secrets are whsec_<base64>, made by the module and shown once; they are
-- kept here as they are (the module must sign with them) and never leave
-- the database but towards the signing.  A rotation keeps the previous
-- secret signing alongside the new one until previous_expires_at.
--
-- Waking the workers.  A delivery's job is woken like any other, by a
-- NOTIFY after the commit; but a trigger cannot tell the committing C code
-- that it made jobs, and a NOTIFY from inside the change would queue its
-- commit behind every other notifying commit (004 says why).  So the
-- live event written in that transaction carries wakes_jobs, and the
-- relay that reads it (on every host) wakes that host's job workers.
-- Every change that writes audit rows writes a live event after them; a
-- transaction that wrote none still has its deliveries taken at the
-- workers' next look.

CREATE TABLE webhook_subscriptions (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id               uuid NOT NULL REFERENCES organizations(id),
    url                  text NOT NULL CHECK (length(url) <= 2048),
    events               text[] NOT NULL CHECK (cardinality(events) > 0),
    enabled              boolean NOT NULL DEFAULT true,
    disabled_reason      text,
    secret               text NOT NULL CHECK (secret LIKE 'whsec\_%'),
    previous_secret      text,
    previous_expires_at  timestamptz,
    last_delivered_at    timestamptz,
    last_failed_at       timestamptz,
    last_error           text,
    version              bigint NOT NULL DEFAULT 1,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    deleted_at           timestamptz
);
CREATE INDEX webhook_subscriptions_org ON webhook_subscriptions (org_id, created_at)
    WHERE deleted_at IS NULL;
-- What the triggers read for every event: an organization's enabled ones.
CREATE INDEX webhook_subscriptions_live ON webhook_subscriptions (org_id)
    WHERE enabled AND deleted_at IS NULL;

CREATE TABLE webhook_deliveries (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id           uuid NOT NULL REFERENCES organizations(id),
    subscription_id  uuid NOT NULL REFERENCES webhook_subscriptions(id),
    job_id           uuid,              -- the job that delivers it now
    event_type       text NOT NULL,
    body             text NOT NULL,     -- the bytes signed and sent
    ticket_event_id  bigint REFERENCES ticket_events(id),
    state            text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    last_status      integer,           -- the receiver's last HTTP status
    last_response    text,              -- the start of its last answer
    last_error       text,
    last_attempt_at  timestamptz,
    next_attempt_at  timestamptz,
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_subscription
    ON webhook_deliveries (subscription_id, created_at DESC, id);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (created_at)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_ticket_event ON webhook_deliveries (ticket_event_id)
    WHERE ticket_event_id IS NOT NULL;

-- "msg_" and the delivery's uuid without dashes: the webhook-id.
CREATE FUNCTION tk_webhook_message_id(p_id uuid) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 'msg_' || replace(p_id::text, '-', '')
$$;

CREATE FUNCTION tk_webhook_json(s webhook_subscriptions) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object(
        'id', s.id,
        'url', s.url,
        'events', to_jsonb(s.events),
        'enabled', s.enabled,
        'disabledReason', s.disabled_reason,
        'previousSecretExpiresAt',
            CASE WHEN s.previous_expires_at > now()
                 THEN tk_ts(s.previous_expires_at) END,
        'lastDeliveredAt', tk_ts(s.last_delivered_at),
        'lastFailedAt', tk_ts(s.last_failed_at),
        'lastError', s.last_error,
        'createdAt', tk_ts(s.created_at),
        'updatedAt', tk_ts(s.updated_at))
$$;

CREATE FUNCTION tk_delivery_json(d webhook_deliveries) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object(
        'id', d.id,
        'subscriptionId', d.subscription_id,
        'webhookId', tk_webhook_message_id(d.id),
        'eventType', d.event_type,
        'ticketEventId', d.ticket_event_id,
        'state', d.state,
        'attempts', d.attempts,
        'lastStatus', d.last_status,
        'lastResponse', d.last_response,
        'lastError', d.last_error,
        'lastAttemptAt', tk_ts(d.last_attempt_at),
        'nextAttemptAt', CASE WHEN d.state = 'pending'
                              THEN tk_ts(d.next_attempt_at) END,
        'deliveredAt', tk_ts(d.delivered_at),
        'createdAt', tk_ts(d.created_at),
        'payload', d.body::jsonb)
$$;

-- The job that delivers delivery p_delivery (TK_DELIVER_JOB, with the
-- Standard Webhooks schedule's ten attempts): its id.
CREATE FUNCTION tk_webhook_job(p_org uuid, p_delivery uuid) RETURNS uuid
LANGUAGE sql VOLATILE AS $$
    INSERT INTO jobs (org_id, kind, payload, max_attempts)
    VALUES (p_org, 'webhook.deliver', jsonb_build_object('deliveryId', p_delivery), 10)
    RETURNING id
$$;

-- A delivery of event p_type (its data, when it happened) to subscription
-- p_sub, with its job.  The body is {"type", "timestamp", "data"}, stored
-- as it is signed and sent.
CREATE FUNCTION tk_webhook_deliver(p_sub uuid, p_org uuid, p_type text,
                                   p_data jsonb, p_at timestamptz,
                                   p_ticket_event bigint)
RETURNS webhook_deliveries
LANGUAGE plpgsql AS $$
DECLARE
    d webhook_deliveries;
    v_id uuid := gen_random_uuid();
BEGIN
    INSERT INTO webhook_deliveries (id, org_id, subscription_id, job_id,
                                    event_type, body, ticket_event_id,
                                    next_attempt_at)
    VALUES (v_id, p_org, p_sub, tk_webhook_job(p_org, v_id), p_type,
            jsonb_build_object('type', p_type, 'timestamp', tk_ts(p_at),
                               'data', p_data)::text,
            p_ticket_event, now())
    RETURNING * INTO d;
    RETURN d;
END;
$$;

-- A delivery of event p_type to each enabled subscription of p_org that
-- wants it, in the caller's transaction.  The number made; when there
-- were any, the transaction is marked (tickets.webhooks_made) so that its
-- next live event wakes the job workers.
CREATE FUNCTION tk_webhook_fanout(p_org uuid, p_type text, p_data jsonb,
                                  p_at timestamptz, p_ticket_event bigint)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    made integer;
BEGIN
    SELECT count(tk_webhook_deliver(sub.id, p_org, p_type, p_data, p_at,
                                    p_ticket_event))
      INTO made
      FROM webhook_subscriptions sub
     WHERE sub.org_id = p_org AND sub.enabled AND sub.deleted_at IS NULL
       AND (p_type = ANY (sub.events) OR '*' = ANY (sub.events));
    IF made > 0 THEN
        PERFORM set_config('tickets.webhooks_made', 'on', true);
    END IF;
    RETURN made;
END;
$$;

-- Whether an organization has a subscription to a type: the cheap test
-- each event's trigger makes before it builds anything.
CREATE FUNCTION tk_webhook_wanted(p_org uuid, p_type text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT EXISTS (SELECT 1 FROM webhook_subscriptions s
                    WHERE s.org_id = p_org AND s.enabled
                      AND s.deleted_at IS NULL
                      AND (p_type = ANY (s.events) OR '*' = ANY (s.events)))
$$;

ALTER TABLE stream_events ADD COLUMN wakes_jobs boolean NOT NULL DEFAULT false;

-- A live event: its deliveries, and whether the relay that reads it is to
-- wake the job workers (this event, or an audit row before it in the same
-- transaction, made deliveries).  Revocations are the hosts' own business
-- and go to no subscriber.
CREATE FUNCTION tk_stream_event_webhooks() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.type <> 'credential_revoked' AND tk_webhook_wanted(NEW.org_id, NEW.type) THEN
        PERFORM tk_webhook_fanout(NEW.org_id, NEW.type, NEW.data::jsonb,
                                  NEW.created_at, NULL);
    END IF;
    NEW.wakes_jobs := coalesce(current_setting('tickets.webhooks_made', true), '') = 'on';
    RETURN NEW;
END;
$$;

CREATE TRIGGER stream_events_webhooks BEFORE INSERT ON stream_events
    FOR EACH ROW EXECUTE FUNCTION tk_stream_event_webhooks();

-- An audit row: its deliveries, whose data is the row as the ticket's
-- events list shows it; the delivery's outcome fills the row's
-- delivered_at, delivery_attempts and last_error.
CREATE FUNCTION tk_ticket_event_webhooks() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF tk_webhook_wanted(NEW.org_id, NEW.type) THEN
        PERFORM tk_webhook_fanout(NEW.org_id, NEW.type, tk_event_json(NEW),
                                  NEW.created_at, NEW.id);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER ticket_events_webhooks AFTER INSERT ON ticket_events
    FOR EACH ROW EXECUTE FUNCTION tk_ticket_event_webhooks();
