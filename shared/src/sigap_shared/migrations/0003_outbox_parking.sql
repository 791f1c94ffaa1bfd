-- A row the broker refuses for what it is (too large, say) is parked instead of blocking every
-- row behind it: the relay records when, how often and why, and skips it (and later rows of
-- the same key, so one complaint's events never overtake each other). An operator requeues a
-- parked row with `UPDATE outbox SET parked_at = NULL WHERE id = …` or drops it with DELETE.

ALTER TABLE outbox
    ADD COLUMN IF NOT EXISTS parked_at  timestamptz,
    ADD COLUMN IF NOT EXISTS failures   integer NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS last_error text;

-- Normally empty: lets the relay's read skip keys with a parked row for next to nothing.
CREATE INDEX IF NOT EXISTS outbox_parked_idx ON outbox (key, id) WHERE parked_at IS NOT NULL AND sent_at IS NULL;
