-- Retention (privacy/retention.py): once a complaint has been closed for
-- SIGAP_PERSONAL_DATA_RETENTION_DAYS, or its reporter's deletion request is granted, its
-- identity, pseudonym, photo originals and their metadata are erased; the complaint and its
-- metadata-free public record stay. `personal_data_erased_at` makes the job idempotent.
ALTER TABLE complaints ADD COLUMN personal_data_erased_at timestamptz;
ALTER TABLE photos ALTER COLUMN original_key DROP NOT NULL;

CREATE INDEX complaints_retention_due_idx ON complaints (status_changed_at)
    WHERE personal_data_erased_at IS NULL AND status IN ('selesai', 'ditolak');
