-- Who handles each complaint now: the lead department and the supporting ones, changed by
-- transfers and joint handling after the first routing. `department` stays the automatic
-- decision, so corrections can be measured against it.
ALTER TABLE routing_decisions
    ADD COLUMN tracking_code           text,
    ADD COLUMN reporter                jsonb,
    ADD COLUMN lead_department         text,
    ADD COLUMN supporting_departments  text[] NOT NULL DEFAULT '{}',
    ADD COLUMN updated_at              timestamptz;

UPDATE routing_decisions SET lead_department = department WHERE lead_department IS NULL;

CREATE INDEX routing_decisions_lead_idx ON routing_decisions (lead_department, decided_at);

-- Every routing decision with who and why: automatic, triage, transfer, joint handling.
CREATE TABLE routing_history (
    id               bigserial PRIMARY KEY,
    complaint_id     uuid        NOT NULL,
    event_id         uuid        NOT NULL,
    kind             text        NOT NULL,  -- automatic | transferred | support_added | support_removed
    transfer_kind    text,                  -- bukan_wewenang | triase | koreksi
    from_department  text,
    to_department    text,
    category         text,
    reason           text,
    actor            text        NOT NULL,
    actor_role       text,
    at               timestamptz NOT NULL
);

CREATE INDEX routing_history_complaint_idx ON routing_history (complaint_id, id);
