-- What a reporter sees when tracking a complaint: the state other services announced
-- (routing's department, status changes with their public notes), and the reporter's own
-- follow-ups (added information, a rating, reopen requests).

ALTER TABLE complaints ADD COLUMN department text;
ALTER TABLE complaints ADD COLUMN status text NOT NULL DEFAULT 'diterima';
ALTER TABLE complaints ADD COLUMN status_changed_at timestamptz;
ALTER TABLE complaints ADD COLUMN resolution_note text;
ALTER TABLE complaints ADD COLUMN after_photo_ids uuid[] NOT NULL DEFAULT '{}';
ALTER TABLE complaints ADD COLUMN rating smallint;
-- A public report the reporter asked to keep out of public listings.
ALTER TABLE complaints ADD COLUMN publicly_visible boolean NOT NULL DEFAULT true;

CREATE TABLE tracking_timeline (
    event_id     uuid        PRIMARY KEY,
    complaint_id uuid        NOT NULL REFERENCES complaints (id),
    event_type   text        NOT NULL,
    status       text,
    department   text,
    note         text,
    occurred_at  timestamptz NOT NULL
);

CREATE INDEX tracking_timeline_complaint_idx ON tracking_timeline (complaint_id, occurred_at);

-- The result of verifying a photo's Content Credentials (C2PA manifest), when it has one.
ALTER TABLE photos ADD COLUMN content_credentials jsonb;

-- Notify resolves a pseudonym to a contact at send time (internal API).
CREATE INDEX complaints_reporter_pseudonym_idx ON complaints (reporter_pseudonym)
    WHERE reporter_pseudonym IS NOT NULL;

-- Open311 `tokens/{token}`: the token a POST answered with is the reporter's follow-up token.
CREATE INDEX complaints_follow_up_token_hash_idx ON complaints (follow_up_token_hash);
