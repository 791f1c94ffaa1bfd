-- SP4N-LAPOR! beside Sigap's own status (docs/lapor.md): an admin's postponement (tunda) with
-- its reason, when an admin archived a complaint (arsipkan: rejected as spam or a duplicate),
-- and when a finished complaint closed by itself, its reporter and the admins having stayed
-- quiet for the configured working days after the follow-up.
ALTER TABLE complaints
    ADD COLUMN lapor_postponed_at    timestamptz,
    ADD COLUMN lapor_postpone_reason text,
    ADD COLUMN lapor_archived_at     timestamptz,
    ADD COLUMN lapor_closed_at       timestamptz;

-- The auto-close sweep only ever looks at finished complaints not closed yet (reopening one
-- clears `lapor_closed_at`, so it can close again after its next follow-up).
CREATE INDEX complaints_lapor_close_idx ON complaints (resolved_at)
    WHERE status = 'selesai' AND lapor_closed_at IS NULL;

-- The public LAPOR! stage is looked up by tracking code (GET /v1/track/{code}/lapor-stage).
CREATE INDEX complaints_tracking_code_idx ON complaints (tracking_code);
