-- Safe retries (Idempotency-Key), reporter identity encrypted at rest, capture sessions and
-- photos with their live-photo checks and a perceptual-hash index for reuse detection.

-- One row per (endpoint, key): claimed at the start of the request's transaction, so a racing
-- duplicate waits on the primary key and then reads the first result. The stored response is
-- encrypted (it holds the follow-up token, which the complaints table keeps only as a hash).
CREATE TABLE idempotency_keys (
    scope            text        NOT NULL,
    key              text        NOT NULL,
    request_hash     bytea       NOT NULL,
    status_code      integer,
    response         bytea,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);

CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- Name, phone and email as one AES-GCM ciphertext bound to the complaint id. The plaintext
-- columns of 0001 are no longer written.
ALTER TABLE complaints ADD COLUMN reporter_identity bytea;
ALTER TABLE complaints ADD COLUMN photo_verdict text;
ALTER TABLE complaints ADD COLUMN photo_gps_far boolean NOT NULL DEFAULT false;

CREATE TABLE capture_sessions (
    id          uuid        PRIMARY KEY,
    started_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);

CREATE TABLE photos (
    id                 uuid        PRIMARY KEY,
    capture_session_id uuid        NOT NULL UNIQUE REFERENCES capture_sessions (id),
    complaint_id       uuid        REFERENCES complaints (id),
    sha256             bytea       NOT NULL,
    media_type         text        NOT NULL,
    size_bytes         integer     NOT NULL,
    width              integer     NOT NULL,
    height             integer     NOT NULL,
    original_key       text        NOT NULL,
    public_key         text        NOT NULL,
    verdict            text        NOT NULL,
    reasons            jsonb       NOT NULL,
    taken_at           timestamptz,
    camera_make        text,
    camera_model       text,
    software           text,
    gps_lat            double precision,
    gps_lon            double precision,
    uploaded_at        timestamptz NOT NULL
);

CREATE INDEX photos_complaint_idx ON photos (complaint_id) WHERE complaint_id IS NOT NULL;

-- Multi-index hashing: the 64-bit perceptual hash split into four 16-bit bands, each btree
-- indexed. Two hashes within Hamming distance d share at least one band within d // 4 bits,
-- so a lookup probes a few band values per band and checks the exact distance on the hits.
-- The hash and id are included in each index so a lookup is index-only (no heap visits).
CREATE TABLE photo_hashes (
    photo_id uuid    PRIMARY KEY,
    phash    bigint  NOT NULL,
    band0    integer NOT NULL,
    band1    integer NOT NULL,
    band2    integer NOT NULL,
    band3    integer NOT NULL
);

CREATE INDEX photo_hashes_band0_idx ON photo_hashes (band0) INCLUDE (phash, photo_id);
CREATE INDEX photo_hashes_band1_idx ON photo_hashes (band1) INCLUDE (phash, photo_id);
CREATE INDEX photo_hashes_band2_idx ON photo_hashes (band2) INCLUDE (phash, photo_id);
CREATE INDEX photo_hashes_band3_idx ON photo_hashes (band3) INCLUDE (phash, photo_id);

-- Matches found at upload, kept so staff see which earlier photo (and complaint) it resembles.
CREATE TABLE photo_matches (
    photo_id         uuid    NOT NULL REFERENCES photos (id),
    earlier_photo_id uuid    NOT NULL REFERENCES photos (id),
    distance         integer NOT NULL,
    PRIMARY KEY (photo_id, earlier_photo_id)
);
