-- The delivery engine: each notification row is claimed by a dispatcher, sent, and marked
-- sent, retried later (pending with next_attempt_at) or failed after the last attempt.
-- Status: pending -> sending -> sent | pending (retry) | failed | undeliverable.
ALTER TABLE notifications
    ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN claimed_at      timestamptz,
    ADD COLUMN sent_at         timestamptz,
    ADD COLUMN updated_at      timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN last_error      text,
    ADD COLUMN address_masked  text,
    -- Staff email held back to go out in the next digest instead of one mail per complaint.
    ADD COLUMN held_for_digest boolean NOT NULL DEFAULT false;

ALTER TABLE notifications ALTER COLUMN status SET DEFAULT 'pending';
UPDATE notifications SET status = 'pending' WHERE status = 'recorded';

-- Dispatchers only ever look for due rows of one channel; keep that index small.
CREATE INDEX notifications_due_idx ON notifications (channel, next_attempt_at) WHERE status = 'pending';
CREATE INDEX notifications_sending_idx ON notifications (claimed_at) WHERE status = 'sending';
-- How many mails a staff recipient got lately decides whether the next ones become a digest.
CREATE INDEX notifications_recent_email_idx ON notifications (recipient, sent_at) WHERE channel = 'email' AND status = 'sent';

-- Message templates, editable by the city through the API without a deploy.
CREATE TABLE templates (
    key         text        NOT NULL,
    language    text        NOT NULL CHECK (language IN ('id', 'en')),
    subject     text        NOT NULL,
    body        text        NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text        NOT NULL DEFAULT 'seed',
    PRIMARY KEY (key, language)
);

-- Where a department's admins read email (staff addresses, not reporters').
CREATE TABLE department_contacts (
    department  text        PRIMARY KEY,
    emails      text[]      NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Channels a reporter subscribed directly with notify (tracking code + follow-up token).
CREATE TABLE reporter_subscriptions (
    id             uuid        PRIMARY KEY,
    tracking_code  text        NOT NULL,
    complaint_id   uuid        NOT NULL,
    channel        text        NOT NULL,
    address        text        NOT NULL,
    language       text        NOT NULL DEFAULT 'id',
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tracking_code, channel)
);

-- Department systems that receive every event of their department by signed HTTPS POST.
CREATE TABLE webhook_subscriptions (
    id          uuid        PRIMARY KEY,
    department  text        NOT NULL,
    url         text        NOT NULL,
    secret      text        NOT NULL,
    active      boolean     NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text        NOT NULL
);
CREATE INDEX webhook_subscriptions_department_idx ON webhook_subscriptions (department) WHERE active;

-- Webhook deliveries that failed their last retry, waiting for an admin to replay them.
CREATE TABLE webhook_dead_letters (
    notification_id  bigint      PRIMARY KEY REFERENCES notifications (id),
    subscription_id  uuid        NOT NULL,
    department       text        NOT NULL,
    last_error       text,
    parked_at        timestamptz NOT NULL DEFAULT now(),
    replayed_at      timestamptz,
    replayed_by      text
);

-- Departments seen so far: each has its own Kafka topic, created when first seen.
CREATE TABLE department_topics (
    department  text        PRIMARY KEY,
    first_seen  timestamptz NOT NULL DEFAULT now()
);
