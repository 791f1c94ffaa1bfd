-- The city's taxonomy, versioned: every edit inserts a new version; the highest is active.
CREATE TABLE taxonomy_versions (
    version     integer PRIMARY KEY,
    document    jsonb       NOT NULL,
    created_by  text        NOT NULL,
    comment     text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Where each complaint is, and what decided it, kept with the decision.
ALTER TABLE routing_decisions
    ADD COLUMN suggested_department text,
    ADD COLUMN inside_city          boolean,
    ADD COLUMN kecamatan_code       text,
    ADD COLUMN kecamatan_name       text,
    ADD COLUMN kelurahan_code       text,
    ADD COLUMN kelurahan_name       text,
    ADD COLUMN classifier_version   text,
    ADD COLUMN taxonomy_version     integer;
