-- Erasing a reporter's personal data (UU 27/2022; intake asks, after a granted deletion request
-- or when the retention period ends): the complaint keeps when its reporter was erased, and
-- erased_reporters remembers every erased complaint, also one status has not heard of yet (the
-- erasure can overtake the submission event), so a later event never brings the pseudonym back.
ALTER TABLE complaints ADD COLUMN reporter_erased_at timestamptz;

CREATE TABLE erased_reporters (
    complaint_id  uuid        PRIMARY KEY,
    erased_at     timestamptz NOT NULL DEFAULT now()
);
