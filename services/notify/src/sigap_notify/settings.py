"""Notify's settings (env prefix SIGAP_)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, IPvAnyNetwork, SecretStr, model_validator

from sigap_notify.sealing import decode_key
from sigap_shared.settings import ServiceSettings

# Development only: production refuses to start with it (see `_webhook_secret_key`).
DEVELOPMENT_WEBHOOK_SECRET_KEY = "c2lnYXAtZGV2ZWxvcG1lbnQtd2ViaG9vay1rZXktISE="


class NotifySettings(ServiceSettings):
    # Templates, contacts, webhooks, the delivery log and the live stream are staff endpoints;
    # accounts live at status.
    staff_checked_at_status: ClassVar[bool] = True

    service_name: str = "notify"
    http_port: int = 8003
    pg_database: str = "sigap_notify"

    # Delivery engine: each channel has its own dispatcher loop, so one that is down never
    # holds back another.
    delivery_max_attempts: int = 6
    """notify: attempts per notification before it fails for good"""
    delivery_backoff_base_s: float = 2.0
    """notify: first wait before a retry (doubling each time)"""
    delivery_backoff_max_s: float = 600.0
    """notify: longest wait between retries"""
    dispatcher_batch_size: int = 100
    """notify: deliveries each channel's dispatcher takes per round"""
    dispatcher_concurrency: int = 20
    """notify: deliveries each channel sends at once"""
    dispatcher_poll_interval_s: float = 1.0
    """notify: how often a dispatcher looks for due deliveries"""
    # A row left `sending` this long was interrupted (process killed mid-send).
    dispatcher_stale_after_s: float = 120.0
    """notify: a delivery left `sending` this long was interrupted and is retried"""

    # Email through an SMTP relay.
    smtp_host: str | None = None
    """notify: the SMTP relay for email; unset: email deliveries are undeliverable"""
    smtp_port: int = 25
    """notify: the SMTP relay's port"""
    smtp_use_tls: bool = False  # implicit TLS (usually port 465)
    """notify: implicit TLS (usually port 465)"""
    smtp_start_tls: bool = False  # STARTTLS upgrade (usually port 587)
    """notify: STARTTLS upgrade (usually port 587)"""
    smtp_username: str | None = None
    """notify: SMTP login"""
    smtp_password: SecretStr | None = None
    """notify: SMTP password"""
    smtp_from: str = "Sigap Kota Depok <no-reply@sigap.depok.go.id>"
    """notify: the sender of email"""
    smtp_timeout_s: float = 10.0
    """notify: SMTP timeout"""

    # Staff mail about new complaints becomes a digest once a department got more than this
    # many within the window (0 turns digests off).
    staff_digest_threshold: int = 10
    """notify: staff mail about new complaints becomes a digest once a department got more than this many
    within the window (0: no digests)"""
    staff_digest_window_s: float = 300.0
    """notify: the digest window"""

    # Reporter contacts are resolved at send time from intake's internal API (never Kafka).
    intake_internal_url: str | None = None
    intake_timeout_s: float = 5.0

    # Department webhooks.
    webhook_timeout_s: float = 10.0
    """notify: timeout of a webhook call"""
    webhook_allow_http: bool = False  # plain http:// URLs only for development and tests
    """notify: allow plain `http://` webhook URLs (development and tests only; refused in production)"""
    # Webhook URLs and web push endpoints may only reach public addresses; networks listed
    # here (CIDRs, JSON list, e.g. '["10.20.0.0/16"]' for a city intranet) are allowed too.
    webhook_allowed_networks: list[IPvAnyNetwork] = Field(default_factory=list)
    """notify: networks (JSON list of CIDRs, e.g. `["10.20.0.0/16"]`) webhook URLs and web push endpoints
    may reach besides public addresses"""
    # AES-256-GCM key (base64 of 32 bytes) sealing webhook secrets and reporters' subscribed
    # addresses in the database, e.g.
    # `python -c "import os, base64; print(base64.b64encode(os.urandom(32)).decode())"`.
    webhook_secret_key: SecretStr = SecretStr(DEVELOPMENT_WEBHOOK_SECRET_KEY)
    """notify: AES-256-GCM key, base64 of 32 bytes, sealing webhook secrets and reporters' subscribed
    addresses (required in production)"""

    # SMS and WhatsApp through the city's HTTP gateway (unset: those deliveries are reported
    # undeliverable). The body is a string.Template of JSON; $to, $text and $reference are
    # inserted as JSON strings.
    sms_gateway_url: str | None = None
    """notify: the city's SMS gateway; unset: SMS deliveries are undeliverable"""
    sms_gateway_token: SecretStr | None = None
    """notify: bearer token of the SMS gateway"""
    sms_gateway_body: str = '{"to": $to, "text": $text, "reference": $reference}'
    """notify: the SMS gateway's request body, a `string.Template` of JSON with `$to`, `$text`,
    `$reference`"""
    whatsapp_gateway_url: str | None = None
    """notify: the city's WhatsApp gateway; unset: WhatsApp deliveries are undeliverable"""
    whatsapp_gateway_token: SecretStr | None = None
    """notify: bearer token of the WhatsApp gateway"""
    whatsapp_gateway_body: str = '{"to": $to, "type": "text", "text": $text, "reference": $reference}'
    """notify: the WhatsApp gateway's request body, as for SMS"""

    # Web push (VAPID): the application server's private key, raw P-256 in base64url (as
    # `vapid --gen` or web-push tools print it); unset: push deliveries are undeliverable.
    vapid_private_key: SecretStr | None = None
    """notify: web push (VAPID) private key, raw P-256 in base64url; unset: push deliveries are
    undeliverable"""
    vapid_subject: str = "mailto:sigap@depok.go.id"
    """notify: the VAPID contact"""

    # Events about a complaint whose submission has not arrived wait this long (then they are
    # purged as forged or lost): longer than the topics keep anything, 8 days by default.
    parked_event_retention_s: float = 8 * 24 * 3600
    """notify: how long an event waits for its complaint's submission before housekeeping purges it"""

    # Links in messages.
    public_base_url: str = "https://sigap.depok.go.id"
    """notify: the base of links in messages"""

    @model_validator(mode="after")
    def _https_webhooks_in_production(self) -> "NotifySettings":
        if self.environment == "production" and self.webhook_allow_http:
            raise ValueError("SIGAP_WEBHOOK_ALLOW_HTTP must stay false in production: webhooks carry complaint data")
        return self

    @model_validator(mode="after")
    def _webhook_secret_key(self) -> "NotifySettings":
        key = self.webhook_secret_key.get_secret_value()
        if self.environment == "production" and key in ("", DEVELOPMENT_WEBHOOK_SECRET_KEY):
            raise ValueError("SIGAP_WEBHOOK_SECRET_KEY must be set to a key of your own in production")
        decode_key(key)
        return self

    def webhook_key(self) -> bytes:
        return decode_key(self.webhook_secret_key.get_secret_value())
