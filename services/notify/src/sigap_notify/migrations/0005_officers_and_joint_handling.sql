-- Field officers' own addresses (staff data, like department_contacts), edited by their
-- department's admin: `officer:<DEPT>:<username>` recipients.
CREATE TABLE officer_contacts (
    department  text        NOT NULL,
    username    text        NOT NULL,
    emails      text[]      NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text        NOT NULL,
    PRIMARY KEY (department, username)
);

-- Joint handling: the departments supporting the lead department on a complaint also receive
-- the complaint's events on their topic and webhooks.
ALTER TABLE complaint_departments ADD COLUMN supporters text[] NOT NULL DEFAULT '{}';

-- One event is now copied to several department topics (lead and supporters) with the same
-- CloudEvent id, so notify's outbox is unique per (event, topic) instead of per event.
ALTER TABLE outbox DROP CONSTRAINT IF EXISTS outbox_event_id_key;
ALTER TABLE outbox ADD CONSTRAINT outbox_event_topic_key UNIQUE (event_id, topic);
