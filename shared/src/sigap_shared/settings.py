"""Settings every service shares. Each service subclasses `ServiceSettings`, sets its own
defaults (port, database), and the entrypoint instantiates it once and passes it down."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, StringConstraints, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_PG_PASSWORD = "sigap"
DEVELOPMENT_JWT_SECRET = "sigap-development-jwt-secret-change-me"
DEVELOPMENT_INTERNAL_TOKEN = "sigap-development-internal-token-change-me"


class ServiceSettings(BaseSettings):
    """Read from environment variables prefixed `SIGAP_` (e.g. `SIGAP_KAFKA_BOOTSTRAP`)."""

    # Each setting's docstring is its description: docs/settings.md is generated from them
    # (python -m sigap_shared.settings_doc).
    model_config = SettingsConfigDict(env_prefix="SIGAP_", extra="ignore", frozen=True, use_attribute_docstrings=True)

    service_name: str = "sigap"
    """the service's own name in logs, metrics and consumer groups; each service sets it, leave it"""
    environment: Literal["development", "test", "production"] = "development"
    """`development`, `test` or `production` (production refuses default secrets)"""
    log_format: Literal["console", "json"] | None = None
    """`console` or `json`; unset: console in development, else json"""
    log_level: str = "INFO"
    """the lowest log level written (`DEBUG`, `INFO`, `WARNING`, `ERROR`)"""
    otlp_endpoint: str | None = None
    """where traces go: an OpenTelemetry collector's OTLP/HTTP address (e.g. `http://otel-collector:4318`);
    unset: no traces are recorded. The standard `OTEL_*` variables (e.g. `OTEL_TRACES_SAMPLER`) tune it"""

    timezone: str = "Asia/Jakarta"
    """the city's time zone (IANA name): `Asia/Jakarta` (WIB), `Asia/Makassar` (WITA) or `Asia/Jayapura` (WIT); it
    governs every local time: a photo's EXIF time without offset, SLA working-day boundaries, times in messages"""

    http_host: str = "127.0.0.1"
    """the address the service listens on (`0.0.0.0` in containers)"""
    http_port: int = 8000
    """the port the service listens on"""
    # Larger request bodies are refused with 413 before they are read (routes may allow more).
    http_max_body_bytes: int = Field(default=1024 * 1024, ge=0)
    """larger request bodies get 413 before they are read (chunked ones are counted and stopped); intake's
    `POST /v1/photos` allows `SIGAP_PHOTO_MAX_BYTES` + 64 KiB"""
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed: addresses or
    # networks separated by commas ("10.0.0.5,10.1.0.0/16"; "*" believes anyone, only for a
    # service no client can reach but through the proxy). Empty: the connection's own address
    # counts, so a client cannot pick the address per-address limits see.
    forwarded_allow_ips: str = ""
    """reverse proxies whose `X-Forwarded-For`/`-Proto` are believed, as addresses or networks separated by
    commas (e.g. `10.0.0.5` or `172.18.0.0/16`); empty: the connection's own address is the client's.
    Set it to the proxy's address when one sits in front"""

    kafka_bootstrap: str = "127.0.0.1:9092"
    """Kafka bootstrap servers, `host:port` separated by commas"""
    kafka_topic_partitions: int = 6
    """partitions of the topics a service creates at start-up"""
    # Copies of each topic Sigap creates, and how many of them must have a record before the
    # broker acknowledges it (producers send with acks=all). 1/1 suits the local single broker;
    # a production cluster of three or more brokers wants 3/2, so one broker may be lost.
    kafka_replication_factor: int = Field(default=1, ge=1)
    """copies of each topic created at start-up (3 in production)"""
    kafka_min_insync_replicas: int = Field(default=1, ge=1)
    """copies that must hold a record before it is acknowledged (`acks=all`; 2 in production)"""
    kafka_group_prefix: str = "sigap"
    """first part of every consumer group's name: `<prefix>.<service>.<consumer>`"""
    # Where a brand-new consumer group starts. Production keeps "earliest" (a new service reads
    # the history); tests and benchmarks use "latest" with a fresh group so old runs are skipped.
    kafka_offset_reset: Literal["earliest", "latest"] = "earliest"
    """where a brand-new consumer group starts: `earliest` or `latest`"""
    # Prepended to every topic name at the Kafka boundary, so test sessions and benchmarks on
    # a shared broker never mix with each other or with `make run` (empty in production).
    kafka_topic_prefix: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]*$")] = ""
    """prefix for every topic name (tests and benchmarks isolate themselves with it)"""

    pg_host: str = "127.0.0.1"
    """PostgreSQL host"""
    pg_port: int = 55432
    """PostgreSQL port"""
    pg_user: str = "sigap"
    """PostgreSQL user"""
    pg_password: SecretStr = SecretStr(DEVELOPMENT_PG_PASSWORD)
    """PostgreSQL password (required in production)"""
    pg_database: str = "sigap"
    """the service's own database"""
    pg_pool_min: int = 2
    """connections each process keeps open"""
    pg_pool_max: int = 10
    """most connections each process opens"""

    jwt_secret: SecretStr = SecretStr(DEVELOPMENT_JWT_SECRET)
    """signs staff access tokens (required in production)"""
    jwt_access_ttl_s: int = 900
    """seconds a staff access token is valid"""
    # Service-to-service calls to internal APIs carry this bearer token (SIGAP_INTERNAL_TOKEN).
    internal_token: SecretStr | None = SecretStr(DEVELOPMENT_INTERNAL_TOKEN)
    """bearer token of service-to-service calls to internal APIs (required in production)"""

    # Services with staff endpoints that do not own the accounts (routing, notify) ask status
    # whether a token's account is still active, and remember each answer this long: the
    # bound on how late a deactivation, a role change or an unknown account is noticed there.
    staff_checked_at_status: ClassVar[bool] = False
    status_internal_url: str | None = None
    """routing and notify: status's internal API, asked whether a staff token's account is still active
    (`services/status/STAFF_CONTRACT.md`); required in production. Unset: the token's signature alone is
    checked. intake: where an access request's export asks what status holds (unset: not asked)"""
    staff_check_ttl_s: float = Field(default=30.0, ge=0)
    """routing and notify: how long an answer about a staff account is remembered, which bounds how late a
    deactivation or role change is noticed there"""

    outbox_retention_s: float = 24 * 3600
    """how long sent outbox rows are kept"""
    inbox_retention_s: float = 8 * 24 * 3600
    """how long handled event ids are remembered against redelivery"""
    outbox_batch_size: int = 500
    """outbox rows the relay publishes per round"""
    outbox_poll_interval_s: float = 1.0
    """how often the relay looks for rows when no commit woke it"""
    consumer_batch_size: int = 500
    """records a consumer takes per poll"""
    consumer_max_attempts: int = 3
    """attempts at an event whose handler fails before it is dead-lettered"""
    # How often consumers commit their Kafka offsets (0: after every poll). The inbox makes the
    # re-read of anything uncommitted at a crash harmless.
    kafka_commit_interval_s: float = Field(default=1.0, ge=0)
    """how often consumers commit offsets (after the database commit; 0: every poll)"""
    # How long a consumer may sit on waiting messages without progress, or the dead-letter
    # publisher or outbox relay on one piece of work, before /readyz fails and the log says why.
    stall_after_s: float = Field(default=60.0, gt=0)
    """how long a consumer may sit on waiting messages without progress, or the dead-letter publisher or
    outbox relay on one piece of work, before `/readyz` fails and the log says why"""

    @field_validator("timezone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"SIGAP_TIMEZONE {value!r} is not a time zone name; use Asia/Jakarta (WIB), Asia/Makassar (WITA) "
                "or Asia/Jayapura (WIT)"
            ) from None
        return value

    @property
    def city_zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @model_validator(mode="after")
    def _insync_replicas_within_the_copies(self) -> "ServiceSettings":
        if self.kafka_min_insync_replicas > self.kafka_replication_factor:
            raise ValueError(
                "SIGAP_KAFKA_MIN_INSYNC_REPLICAS cannot exceed SIGAP_KAFKA_REPLICATION_FACTOR: no record could "
                "ever be acknowledged"
            )
        return self

    @model_validator(mode="after")
    def _refuse_default_secrets_in_production(self) -> "ServiceSettings":
        if self.environment != "production":
            return self
        if self.pg_password.get_secret_value() == DEVELOPMENT_PG_PASSWORD:
            raise ValueError(
                "SIGAP_PG_PASSWORD still has the development default; set a real secret in production"
            )
        if self.jwt_secret.get_secret_value() == DEVELOPMENT_JWT_SECRET:
            raise ValueError("SIGAP_JWT_SECRET still has the development default; set a real secret in production")
        if self.staff_checked_at_status:
            if not self.status_internal_url:
                raise ValueError(
                    "SIGAP_STATUS_INTERNAL_URL is required in production: staff tokens are checked against the "
                    "accounts at status, so a deactivated account loses access here too"
                )
            token = self.internal_token.get_secret_value() if self.internal_token is not None else ""
            if token in ("", DEVELOPMENT_INTERNAL_TOKEN):
                raise ValueError(
                    "SIGAP_INTERNAL_TOKEN must be set to the secret status expects in production (not the "
                    "development default)"
                )
        return self

    @property
    def effective_log_format(self) -> Literal["console", "json"]:
        if self.log_format is not None:
            return self.log_format
        return "console" if self.environment == "development" else "json"

    def pg_connect_kwargs(self) -> dict[str, object]:
        return {
            "host": self.pg_host,
            "port": self.pg_port,
            "user": self.pg_user,
            "password": self.pg_password.get_secret_value(),
            "database": self.pg_database,
        }

    def consumer_group(self, consumer_name: str) -> str:
        return f"{self.kafka_group_prefix}.{self.service_name}.{consumer_name}"
