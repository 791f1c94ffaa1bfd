-- Evidence follow-ups (issue 14): how far a photo's GPS position lies from the complaint's
-- location once both are known, and the clean-up of what a live capture leaves behind.

-- Metres between the photo's position and the reported location; NULL until compared (or
-- when either position is unknown).
ALTER TABLE photos ADD COLUMN location_distance_m integer CHECK (location_distance_m >= 0);

-- When the stored original of a rejected upload nobody attached was deleted; the row stays so
-- the photo is still found as an earlier look-alike, but it can no longer be attached.
ALTER TABLE photos ADD COLUMN original_purged_at timestamptz;

-- The purge job's two scans, each over the few rows it may remove.
CREATE INDEX capture_sessions_unused_idx ON capture_sessions (expires_at) WHERE used_at IS NULL;
CREATE INDEX photos_rejected_unattached_idx ON photos (uploaded_at)
    WHERE verdict = 'rejected' AND complaint_id IS NULL AND after_photo_of IS NULL AND original_purged_at IS NULL;
CREATE INDEX photos_original_key_idx ON photos (original_key);
