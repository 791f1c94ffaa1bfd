-- The metadata-free public copy of a photo is made when the public first asks for it (most
-- photos never become public), so a photo has no public key until then.
ALTER TABLE photos ALTER COLUMN public_key DROP NOT NULL;
