-- Addresses reporters subscribed directly are kept encrypted (AES-256-GCM with the key of
-- SIGAP_WEBHOOK_SECRET_KEY, bound to the subscription's tracking code and channel), like
-- webhook secrets in 0006. SQL cannot encrypt with that key, so rows written before this
-- migration keep their address in `legacy_address` until notify starts and seals them (then
-- it is NULL).
ALTER TABLE reporter_subscriptions RENAME COLUMN address TO legacy_address;
ALTER TABLE reporter_subscriptions ALTER COLUMN legacy_address DROP NOT NULL;
ALTER TABLE reporter_subscriptions ADD COLUMN address_sealed bytea;
ALTER TABLE reporter_subscriptions
    ADD CONSTRAINT reporter_subscriptions_address_kept CHECK (legacy_address IS NOT NULL OR address_sealed IS NOT NULL);
