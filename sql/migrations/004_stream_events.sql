-- 004_stream_events.sql: the log of live events, written in the same
-- transaction as the change each one describes.
--
-- Every change that emits a stream event (SPEC section 9) inserts its row
-- here before it commits, so an event exists exactly when its change
-- committed.  Each host's relay (mod_tickets_relay.c) reads the rows in
-- order and appends them to the host's shared ring, and a stream that
-- reconnects after the ring moved on replays them from here.
--
-- Order.  A bigserial alone does not order commits: a transaction may take
-- id 10 and commit after another one took 11 and committed, so a reader of
-- "id > last" can skip 10 for good.  A row's position is instead the pair
-- (xid, id): the writing transaction's id, then the row's.  A reader takes
-- only rows whose xid is below the xmin of its snapshot: every transaction
-- with such an xid has ended, so those rows are all visible (or were rolled
-- back), and every row still to come has an xid at or above that xmin,
-- hence a larger position.  Reading in position order up to there is
-- gap-free, on every host alike.  The price: a row waits while a writing
-- transaction that began before it is still open.
--
-- The event id a client sees is that position, written "<xid>-<id>".
--
-- Rows are kept for TicketsEventRetention seconds (mod_tickets purges older
-- ones while serving writes); a client resuming from a purged id is told to
-- reload (event: reset).  Nothing references tickets: ticket_deleted must
-- outlive what it describes, and the organization is enough for
-- visibility.

CREATE TABLE stream_events (
    xid              xid8 NOT NULL DEFAULT pg_current_xact_id(),
    id               bigserial,
    org_id           uuid NOT NULL,
    type             text NOT NULL,
    ticket_id        uuid,
    conversation_id  uuid,
    audience0        uuid,          -- customer users who may see it
    audience1        uuid,
    staff_only       boolean NOT NULL DEFAULT false,
    data             text NOT NULL, -- the event's JSON, one line
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (xid, id)
);
CREATE INDEX stream_events_created ON stream_events (created_at);

-- Every host's relay LISTENs on "tickets_stream".  The notification is
-- sent after the change commits, in a transaction of its own
-- (stream_wake in sql/queries.sql), not by a trigger: a transaction that
-- notifies holds a global lock from its pre-commit to the end of its
-- commit, WAL flush included, so notifying from the change itself would
-- queue every change's commit behind every other's.
