-- Staff accounts with rotating refresh tokens, and what the lifecycle, the department queue
-- and the working-day SLAs need on each complaint.
CREATE TABLE staff_users (
    username       text PRIMARY KEY CHECK (username ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
    password_hash  text        NOT NULL,
    role           text        NOT NULL CHECK (role IN ('city_admin', 'dept_admin', 'field_officer', 'auditor')),
    department     text,
    active         boolean     NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((role IN ('dept_admin', 'field_officer')) = (department IS NOT NULL))
);

-- Refresh tokens are opaque random strings; only their SHA-256 is stored. Each use rotates
-- the token within its family; reusing a spent token revokes the whole family.
CREATE TABLE refresh_tokens (
    token_hash  bytea PRIMARY KEY,
    family_id   uuid        NOT NULL,
    username    text        NOT NULL REFERENCES staff_users (username),
    issued_at   timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_username_idx ON refresh_tokens (username);

ALTER TABLE complaints
    ADD COLUMN title                  text,
    ADD COLUMN description            text,
    ADD COLUMN address                text,
    ADD COLUMN kelurahan              text,
    ADD COLUMN lat                    double precision,
    ADD COLUMN lon                    double precision,
    ADD COLUMN privacy                text,
    -- How to reach the reporter without naming them (pseudonym and chosen channels), so each
    -- status change can be announced to them; identities never reach this service.
    ADD COLUMN reporter_pseudonym     text,
    ADD COLUMN reporter_channels      text[]      NOT NULL DEFAULT '{}',
    ADD COLUMN supporting_departments text[]      NOT NULL DEFAULT '{}',
    ADD COLUMN assigned_officer       text,
    ADD COLUMN received_at            timestamptz,
    ADD COLUMN verified_at            timestamptz,
    ADD COLUMN resolved_at            timestamptz,
    ADD COLUMN resolution_note        text,
    ADD COLUMN after_photo_ids        uuid[]      NOT NULL DEFAULT '{}',
    ADD COLUMN rejection_reason       text,
    ADD COLUMN duplicate_of           uuid,
    -- The deadline currently running ('verify' or 'finish'), and when it was reported breached.
    ADD COLUMN sla_stage              text CHECK (sla_stage IN ('verify', 'finish')),
    ADD COLUMN sla_due_at             timestamptz,
    ADD COLUMN sla_breached_at        timestamptz,
    -- Set while staff wait for the reporter: the deadline stops and is pushed back on resume.
    ADD COLUMN sla_paused_at          timestamptz,
    -- Kept for statistics: whether each deadline was ever missed (the running one resets).
    ADD COLUMN verify_breached_at     timestamptz,
    ADD COLUMN finish_breached_at     timestamptz,
    ADD COLUMN search                 tsvector GENERATED ALWAYS AS (
        to_tsvector('simple',
            coalesce(tracking_code, '') || ' ' || coalesce(title, '') || ' ' ||
            coalesce(description, '') || ' ' || coalesce(address, '') || ' ' || coalesce(kelurahan, ''))
    ) STORED;

-- Department queue: every queue read is "one department (lead), newest/oldest or nearest
-- deadline first", optionally narrowed; keyset pagination walks these in order.
DROP INDEX complaints_department_queue_idx;
CREATE INDEX complaints_dept_age_idx ON complaints (department, submitted_at, id);
CREATE INDEX complaints_dept_status_age_idx ON complaints (department, status, submitted_at, id);
CREATE INDEX complaints_dept_category_age_idx ON complaints (department, category, submitted_at, id);
CREATE INDEX complaints_dept_kelurahan_status_age_idx ON complaints (department, kelurahan, status, submitted_at, id);
CREATE INDEX complaints_dept_sla_idx ON complaints (department, sla_due_at, id) WHERE sla_due_at IS NOT NULL;
CREATE INDEX complaints_dept_officer_age_idx ON complaints (department, assigned_officer, submitted_at, id)
    WHERE assigned_officer IS NOT NULL;
CREATE INDEX complaints_age_idx ON complaints (submitted_at, id);
CREATE INDEX complaints_status_age_idx ON complaints (status, submitted_at, id);
CREATE INDEX complaints_supporting_idx ON complaints USING gin (supporting_departments);
CREATE INDEX complaints_search_idx ON complaints USING gin (search);
-- Duplicate suggestions: same category, open, near (a bounding box first, then the distance).
CREATE INDEX complaints_category_place_idx ON complaints (category, lat, lon) WHERE lat IS NOT NULL;
-- The SLA sweep only ever looks at running deadlines not yet reported.
CREATE INDEX complaints_sla_sweep_idx ON complaints (sla_due_at)
    WHERE sla_breached_at IS NULL AND sla_due_at IS NOT NULL AND sla_paused_at IS NULL;
