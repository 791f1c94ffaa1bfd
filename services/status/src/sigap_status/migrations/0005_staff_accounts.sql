-- Staff accounts managed by the city admin over HTTP (and the CLI, through the same commands):
-- a new or reset account has no password until its owner sets one with a one-time setup code,
-- so no admin ever sees or chooses another person's password; every change is audited.
ALTER TABLE staff_users ALTER COLUMN password_hash DROP NOT NULL;

-- Setup codes are random strings shown once to the admin who issued them; only their SHA-256
-- is stored. A newer code, a deactivation or the code's use ends it.
CREATE TABLE staff_setup_codes (
    code_hash   bytea PRIMARY KEY,
    username    text        NOT NULL REFERENCES staff_users (username),
    issued_by   text        NOT NULL,
    issued_at   timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX staff_setup_codes_username_idx ON staff_setup_codes (username);

-- Who changed whom, when: kept for good (no foreign key, so it outlives nothing it names).
CREATE TABLE staff_account_audit (
    id        bigserial   PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    actor     text        NOT NULL,
    action    text        NOT NULL CHECK (action IN (
                  'created', 'deactivated', 'reactivated', 'setup_code_issued', 'password_set', 'password_reset')),
    username  text        NOT NULL,
    detail    jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX staff_account_audit_username_idx ON staff_account_audit (username, at DESC);
CREATE INDEX staff_account_audit_at_idx ON staff_account_audit (at DESC);
