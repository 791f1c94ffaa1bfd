-- One row per (event, recipient, channel): the unique key is what makes delivery at-most-once.
CREATE TABLE notifications (
    id            bigserial PRIMARY KEY,
    event_id      uuid        NOT NULL,
    complaint_id  uuid        NOT NULL,
    event_type    text        NOT NULL,
    recipient     text        NOT NULL,
    channel       text        NOT NULL,
    template      text        NOT NULL,
    params        jsonb       NOT NULL DEFAULT '{}',
    status        text        NOT NULL DEFAULT 'recorded',
    attempts      integer     NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, recipient, channel)
);

CREATE INDEX notifications_complaint_idx ON notifications (complaint_id, id);
