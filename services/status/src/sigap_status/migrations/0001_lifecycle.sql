-- Each complaint's current state and its timeline of every event.
CREATE TABLE complaints (
    id             uuid PRIMARY KEY,
    tracking_code  text        NOT NULL,
    kind           text,
    category       text,
    department     text,
    status         text,
    version        integer     NOT NULL DEFAULT 0,
    submitted_at   timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX complaints_department_queue_idx ON complaints (department, status, submitted_at);

CREATE TABLE timeline (
    id            bigserial PRIMARY KEY,
    complaint_id  uuid        NOT NULL,
    event_id      uuid        NOT NULL UNIQUE,
    event_type    text        NOT NULL,
    occurred_at   timestamptz NOT NULL,
    actor         text        NOT NULL,
    detail        jsonb       NOT NULL DEFAULT '{}'
);

CREATE INDEX timeline_complaint_idx ON timeline (complaint_id, occurred_at, id);
