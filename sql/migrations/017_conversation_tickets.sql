-- 017_conversation_tickets.sql: the tickets opened from a conversation,
-- found by the conversation (GET /api/conversations/:id lists them, so
-- the inbox shows the ticket instead of offering to open another).
CREATE INDEX IF NOT EXISTS tickets_conversation_idx
    ON tickets (conversation_id) WHERE conversation_id IS NOT NULL;
