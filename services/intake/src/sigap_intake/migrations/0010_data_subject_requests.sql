-- Data-subject requests under UU 27/2022 (privacy/): access, correction, restriction and
-- deletion, each due 3 x 24 hours after it arrives, answered or refused by the data protection
-- officer with a stated reason. Whatever the requester wrote and an access answer's export are
-- sealed (AES-GCM, bound to the request id), never plaintext.
CREATE TABLE data_subject_requests (
    id             uuid        PRIMARY KEY,
    complaint_id   uuid        NOT NULL REFERENCES complaints (id),
    kind           text        NOT NULL CHECK (kind IN ('access', 'correction', 'restriction', 'deletion')),
    -- 'follow_up_token': the reporter proved it with tracking code + token; 'staff_verified':
    -- a staff member checked the requester's identity on another channel (counter, letter).
    proof          text        NOT NULL CHECK (proof IN ('follow_up_token', 'staff_verified')),
    verified_by    text,
    details_sealed bytea,
    received_at    timestamptz NOT NULL,
    due_at         timestamptz NOT NULL,
    state          text        NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'answered', 'refused')),
    answered_by    text,
    answer_reason  text,
    answered_at    timestamptz,
    export_sealed  bytea,
    CHECK (proof <> 'staff_verified' OR verified_by IS NOT NULL),
    CHECK ((state = 'open') = (answered_at IS NULL))
);

CREATE INDEX data_subject_requests_open_idx ON data_subject_requests (due_at) WHERE state = 'open';
CREATE INDEX data_subject_requests_complaint_idx ON data_subject_requests (complaint_id, received_at);

-- Every step of a request, every erasure and every refused attempt: rows are only ever added.
CREATE TABLE privacy_audit (
    id           uuid        PRIMARY KEY,
    -- The order steps were written in: one answer writes several rows at the same time.
    seq          bigint      GENERATED ALWAYS AS IDENTITY,
    complaint_id uuid        NOT NULL REFERENCES complaints (id),
    request_id   uuid        REFERENCES data_subject_requests (id),
    action       text        NOT NULL,
    actor        text        NOT NULL,
    actor_role   text        NOT NULL,
    reason       text,
    at           timestamptz NOT NULL
);

CREATE INDEX privacy_audit_complaint_idx ON privacy_audit (complaint_id, seq);

CREATE FUNCTION privacy_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'privacy_audit is append-only';
END;
$$;

CREATE TRIGGER privacy_audit_no_change
    BEFORE UPDATE OR DELETE ON privacy_audit
    FOR EACH ROW EXECUTE FUNCTION privacy_audit_append_only();

-- A restricted complaint's reporter is no longer contacted (notify's contact lookup refuses).
ALTER TABLE complaints ADD COLUMN processing_restricted_at timestamptz;
