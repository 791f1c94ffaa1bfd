-- Webhook secrets are kept encrypted (AES-256-GCM, key SIGAP_WEBHOOK_SECRET_KEY, bound to the
-- webhook id). SQL cannot encrypt with that key, so rows written before this migration keep
-- their secret in `legacy_secret` until notify starts and seals them (then it is NULL).
ALTER TABLE webhook_subscriptions RENAME COLUMN secret TO legacy_secret;
ALTER TABLE webhook_subscriptions ALTER COLUMN legacy_secret DROP NOT NULL;
ALTER TABLE webhook_subscriptions ADD COLUMN secret_sealed bytea;
ALTER TABLE webhook_subscriptions
    ADD CONSTRAINT webhook_subscriptions_secret_kept CHECK (legacy_secret IS NOT NULL OR secret_sealed IS NOT NULL);
