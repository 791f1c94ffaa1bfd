-- Reuse detection that survives crops, mirroring and rotation (photos/fingerprint.py,
-- photos/evidence.py): each photo's perceptual hash over several views (the whole picture and
-- crops of it), each hash split into four 16-bit bands with a btree per band so a lookup probes
-- band values (never a scan); and its ORB features, which confirm a hash candidate.
CREATE TABLE photo_view_hashes (
    photo_id uuid     NOT NULL,
    view     smallint NOT NULL,
    phash    bigint   NOT NULL,
    band0    integer  NOT NULL,
    band1    integer  NOT NULL,
    band2    integer  NOT NULL,
    band3    integer  NOT NULL,
    PRIMARY KEY (photo_id, view)
);

CREATE INDEX photo_view_hashes_band0_idx ON photo_view_hashes (band0) INCLUDE (phash, photo_id, view);
CREATE INDEX photo_view_hashes_band1_idx ON photo_view_hashes (band1) INCLUDE (phash, photo_id, view);
CREATE INDEX photo_view_hashes_band2_idx ON photo_view_hashes (band2) INCLUDE (phash, photo_id, view);
CREATE INDEX photo_view_hashes_band3_idx ON photo_view_hashes (band3) INCLUDE (phash, photo_id, view);

-- ORB keypoints and descriptors and a 96-pixel grey thumbnail (numpy .npz, about 20 KB), read
-- only for a few candidates; gone with the photo.
CREATE TABLE photo_features (
    photo_id uuid  PRIMARY KEY REFERENCES photos (id) ON DELETE CASCADE,
    features bytea NOT NULL
);

-- How a match was made: strong (confirmed by local features) or weak (hashes only), the
-- confidence and the checks' figures, for staff.
ALTER TABLE photo_matches
    ADD COLUMN strength   text NOT NULL DEFAULT 'strong' CHECK (strength IN ('strong', 'weak')),
    ADD COLUMN confidence real,
    ADD COLUMN details    jsonb;
