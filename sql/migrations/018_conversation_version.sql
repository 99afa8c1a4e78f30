-- 018_conversation_version.sql: GET /api/conversations/:id lists the
-- tickets opened from the conversation (their id and key), so its version,
-- which is its ETag, moves when one is opened or deleted: a client that
-- asks with If-None-Match never keeps a stale list.
CREATE FUNCTION tk_conversation_ticket_listed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE conversations SET version = version + 1, updated_at = now()
     WHERE id = NEW.conversation_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER tickets_conversation_opened
    AFTER INSERT ON tickets
    FOR EACH ROW WHEN (NEW.conversation_id IS NOT NULL)
    EXECUTE FUNCTION tk_conversation_ticket_listed();

CREATE TRIGGER tickets_conversation_deleted
    AFTER UPDATE OF deleted_at ON tickets
    FOR EACH ROW WHEN (NEW.conversation_id IS NOT NULL
                       AND OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
    EXECUTE FUNCTION tk_conversation_ticket_listed();
