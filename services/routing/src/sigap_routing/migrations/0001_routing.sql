-- One routing decision per complaint, with the reasons staff see.
CREATE TABLE routing_decisions (
    complaint_id  uuid PRIMARY KEY,
    event_id      uuid        NOT NULL,
    department    text        NOT NULL,
    category      text,
    confidence    real        NOT NULL,
    needs_triage  boolean     NOT NULL,
    reasons       jsonb       NOT NULL,
    decided_at    timestamptz NOT NULL
);

CREATE INDEX routing_decisions_department_idx ON routing_decisions (department, decided_at);
