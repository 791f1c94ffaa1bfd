-- Reuse detection from local features (photos/keys.py, SIGAP_PHOTO_REUSE_KEYS): each photo's
-- SIFT descriptor keys (about 60, exact 64-bit values), and the photos sharing most of a new
-- photo's probe keys are the candidates ORB + RANSAC then confirm. The primary key (key,
-- photo_id) answers `key = ANY($1::bigint[])` by an index-only scan (one B-tree descent per
-- probe, no heap visit once the visibility map is set: benchmarks/intake/key_index_scale.py).
-- The second index serves the cascade from photos and the erasure's delete by photo; its ~60
-- equal photo ids per photo deduplicate into one posting list (PostgreSQL 13+), so it stays
-- small. Keys are gone with the photo, and at erasure with its features.
CREATE TABLE photo_reuse_keys (
    key      bigint NOT NULL,
    photo_id uuid   NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
    PRIMARY KEY (key, photo_id)
);

CREATE INDEX photo_reuse_keys_photo_idx ON photo_reuse_keys (photo_id);
