-- Status's calls to intake (services/status/INTAKE_CONTRACT.md): live after-photos claimed for
-- a finished complaint, and the audit log of every look at a reporter's identity.

-- A photo is either a citizen's evidence (complaint_id) or an officer's after-photo of one
-- complaint (after_photo_of), never both and never for two complaints.
ALTER TABLE photos ADD COLUMN after_photo_of uuid REFERENCES complaints (id);
ALTER TABLE photos ADD COLUMN claimed_at timestamptz;
ALTER TABLE photos ADD CONSTRAINT photos_single_use CHECK (complaint_id IS NULL OR after_photo_of IS NULL);
CREATE INDEX photos_after_photo_of_idx ON photos (after_photo_of) WHERE after_photo_of IS NOT NULL;

-- One row per request to see an identity, written in the same transaction that reads it;
-- refused requests are kept too.
CREATE TABLE identity_access_log (
    id           uuid        PRIMARY KEY,
    complaint_id uuid        NOT NULL REFERENCES complaints (id),
    actor        text        NOT NULL,
    actor_role   text        NOT NULL,
    reason       text        NOT NULL,
    outcome      text        NOT NULL CHECK (outcome IN ('revealed', 'refused')),
    at           timestamptz NOT NULL
);

CREATE INDEX identity_access_log_complaint_idx ON identity_access_log (complaint_id, at DESC);

-- An audit log nobody can quietly rewrite: rows are only ever added.
CREATE FUNCTION identity_access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'identity_access_log is append-only';
END;
$$;

CREATE TRIGGER identity_access_log_no_change
    BEFORE UPDATE OR DELETE ON identity_access_log
    FOR EACH ROW EXECUTE FUNCTION identity_access_log_append_only();
