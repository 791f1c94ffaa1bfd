-- Complaints whose reporter's personal data was erased (UU 27/2022; intake asks, after a granted
-- deletion request or when the retention period ends). Kept for as long as notify keeps anything
-- about the complaint: an event handled later (parked, redelivered, or simply still on its way)
-- then plans nothing for the reporter, and no new direct subscription is taken for it.
CREATE TABLE erased_reporters (
    complaint_id  uuid        PRIMARY KEY,
    erased_at     timestamptz NOT NULL DEFAULT now()
);
