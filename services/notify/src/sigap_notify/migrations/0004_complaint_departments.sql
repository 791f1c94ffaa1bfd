-- Which department leads each complaint, learnt from routing's events, so that events that do
-- not name a department (a reporter adding information) still reach the right admins.
CREATE TABLE complaint_departments (
    complaint_id  uuid        PRIMARY KEY,
    department    text        NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
