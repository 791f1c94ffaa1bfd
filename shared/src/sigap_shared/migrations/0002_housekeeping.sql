-- Inbox rows are appended in time order: a BRIN index lets housekeeping find old ones for
-- almost no write cost.
CREATE INDEX IF NOT EXISTS inbox_received_brin ON inbox USING brin (received_at);
