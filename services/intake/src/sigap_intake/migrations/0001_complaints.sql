-- Complaints as submitted by citizens. Reporter identity stays in this database only.
CREATE TABLE complaints (
    id                   uuid PRIMARY KEY,
    tracking_code        text        NOT NULL UNIQUE,
    follow_up_token_hash bytea       NOT NULL,
    kind                 text        NOT NULL,
    title                text,
    description          text        NOT NULL,
    category             text,
    lat                  double precision,
    lon                  double precision,
    address              text,
    privacy              text        NOT NULL,
    reporter_pseudonym   text,
    reporter_name        text,
    reporter_phone       text,
    reporter_email       text,
    submitted_at         timestamptz NOT NULL
);
