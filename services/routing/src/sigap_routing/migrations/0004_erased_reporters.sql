-- Complaints whose reporter's personal data was erased (UU 27/2022; intake asks, after a granted
-- deletion request or when the retention period ends), also one routing has not decided on yet:
-- the erasure can overtake the submission event, and the decision made later then keeps no
-- pseudonym and its ComplaintRouted announces none.
CREATE TABLE erased_reporters (
    complaint_id  uuid        PRIMARY KEY,
    erased_at     timestamptz NOT NULL DEFAULT now()
);
