-- Request limits shared by every intake replica (rate_limit.py): one row per limited key, as
-- a keyed hash, holding when its bucket is full again. UNLOGGED: no WAL for a counter that
-- may be forgotten in a crash.
CREATE UNLOGGED TABLE rate_limits (
    key_hash    bytea       PRIMARY KEY,
    refilled_at timestamptz NOT NULL
);
