-- Escalation ladders (docs/governance.md): each step a breached deadline climbed, once per
-- step of each breach (the unique key is what keeps concurrent sweeps from telling it twice).
CREATE TABLE complaint_escalations (
    id            bigserial   PRIMARY KEY,
    complaint_id  uuid        NOT NULL,
    breached_at   timestamptz NOT NULL,  -- the breach this step belongs to (complaints.sla_breached_at)
    step          text        NOT NULL,
    step_number   integer     NOT NULL,
    department    text        NOT NULL,
    stage         text        NOT NULL CHECK (stage IN ('verify', 'finish')),
    due_at        timestamptz NOT NULL,  -- the deadline that was breached
    escalated_at  timestamptz NOT NULL,
    event_id      uuid        NOT NULL UNIQUE,
    UNIQUE (complaint_id, breached_at, step)
);
CREATE INDEX complaint_escalations_department_idx ON complaint_escalations (department, escalated_at);

-- When the breached deadline's next step is due; NULL when no step is waiting. Set at the
-- breach by the SLA sweep; complaints breached before this migration start climbing now.
ALTER TABLE complaints ADD COLUMN escalation_next_at timestamptz;
UPDATE complaints SET escalation_next_at = sla_breached_at
    WHERE sla_breached_at IS NOT NULL AND sla_due_at IS NOT NULL;
CREATE INDEX complaints_escalation_next_idx ON complaints (escalation_next_at) WHERE escalation_next_at IS NOT NULL;
