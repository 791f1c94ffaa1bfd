-- Notify acts on an event about a complaint only once it knows the complaint was submitted
-- (intake's event on sigap.complaint.submitted): a routing may legitimately arrive first (it
-- travels on another topic), and an event about a complaint that was never submitted (forged)
-- must mail nobody. Such events wait in parked_events until the submission arrives;
-- housekeeping purges those that wait longer than SIGAP_PARKED_EVENT_RETENTION_S.
CREATE TABLE known_complaints (
    complaint_id  uuid        PRIMARY KEY,
    known_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE parked_events (
    id            bigserial   PRIMARY KEY,
    event_id      uuid        NOT NULL UNIQUE,
    complaint_id  uuid        NOT NULL,
    event_type    text        NOT NULL,
    headers       jsonb       NOT NULL,
    payload       bytea       NOT NULL,
    parked_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX parked_events_complaint_idx ON parked_events (complaint_id, id);
CREATE INDEX parked_events_parked_at_idx ON parked_events (parked_at);

-- Complaints notify handled before this rule were routed, so they had been submitted.
INSERT INTO known_complaints (complaint_id) SELECT complaint_id FROM complaint_departments;
