-- Reporter identities live only sealed (AES-GCM) since 0002; the plaintext columns of the
-- walking skeleton are dropped so no identity can ever be written to them again.
ALTER TABLE complaints
    DROP COLUMN IF EXISTS reporter_name,
    DROP COLUMN IF EXISTS reporter_phone,
    DROP COLUMN IF EXISTS reporter_email;
