"""Settings every service shares. Each service subclasses `ServiceSettings`, sets its own
defaults (port, database), and the entrypoint instantiates it once and passes it down."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, SecretStr, StringConstraints, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_PG_PASSWORD = "sigap"
DEVELOPMENT_JWT_SECRET = "sigap-development-jwt-secret-change-me"
DEVELOPMENT_INTERNAL_TOKEN = "sigap-development-internal-token-change-me"


class ServiceSettings(BaseSettings):
    """Read from environment variables prefixed `SIGAP_` (e.g. `SIGAP_KAFKA_BOOTSTRAP`)."""

    model_config = SettingsConfigDict(env_prefix="SIGAP_", extra="ignore", frozen=True)

    service_name: str = Field(default="sigap", description="the service's own name in logs, metrics and consumer groups; each service sets it, leave it")
    environment: Literal["development", "test", "production"] = Field(
        default="development", description="`development`, `test` or `production` (production refuses default secrets)"
    )
    log_format: Literal["console", "json"] | None = Field(
        default=None, description="`console` or `json`; unset: console in development, else json"
    )
    log_level: str = Field(default="INFO", description="the lowest log level written (`DEBUG`, `INFO`, `WARNING`, `ERROR`)")

    http_host: str = Field(default="127.0.0.1", description="the address the service listens on (`0.0.0.0` in containers)")
    http_port: int = Field(default=8000, description="the port the service listens on")
    # Larger request bodies are refused with 413 before they are read (routes may allow more).
    http_max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=0,
        description="larger request bodies get 413 before they are read (chunked ones are counted and stopped); "
        "intake's `POST /v1/photos` allows `SIGAP_PHOTO_MAX_BYTES` + 64 KiB",
    )
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed: addresses or
    # networks separated by commas ("10.0.0.5,10.1.0.0/16"; "*" believes anyone, only for a
    # service no client can reach but through the proxy). Empty: the connection's own address
    # counts, so a client cannot pick the address per-address limits see.
    forwarded_allow_ips: str = Field(
        default="",
        description="reverse proxies whose `X-Forwarded-For`/`-Proto` are believed, as addresses or networks "
        "separated by commas (e.g. `10.0.0.5` or `172.18.0.0/16`); empty: the connection's own address is the "
        "client's. Set it to the proxy's address when one sits in front",
    )

    kafka_bootstrap: str = Field(default="127.0.0.1:9092", description="Kafka bootstrap servers, `host:port` separated by commas")
    kafka_topic_partitions: int = Field(default=6, description="partitions of the topics a service creates at start-up")
    # Copies of each topic Sigap creates, and how many of them must have a record before the
    # broker acknowledges it (producers send with acks=all). 1/1 suits the local single broker;
    # a production cluster of three or more brokers wants 3/2, so one broker may be lost.
    kafka_replication_factor: int = Field(
        default=1, ge=1, description="copies of each topic created at start-up (3 in production)"
    )
    kafka_min_insync_replicas: int = Field(
        default=1,
        ge=1,
        description="copies that must hold a record before it is acknowledged (`acks=all`; 2 in production)",
    )
    kafka_group_prefix: str = Field(
        default="sigap", description="first part of every consumer group's name: `<prefix>.<service>.<consumer>`"
    )
    # Where a brand-new consumer group starts. Production keeps "earliest" (a new service reads
    # the history); tests and benchmarks use "latest" with a fresh group so old runs are skipped.
    kafka_offset_reset: Literal["earliest", "latest"] = Field(
        default="earliest", description="where a brand-new consumer group starts: `earliest` or `latest`"
    )
    # Prepended to every topic name at the Kafka boundary, so test sessions and benchmarks on
    # a shared broker never mix with each other or with `make run` (empty in production).
    kafka_topic_prefix: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]*$")] = Field(
        default="", description="prefix for every topic name (tests and benchmarks isolate themselves with it)"
    )

    pg_host: str = Field(default="127.0.0.1", description="PostgreSQL host")
    pg_port: int = Field(default=55432, description="PostgreSQL port")
    pg_user: str = Field(default="sigap", description="PostgreSQL user")
    pg_password: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_PG_PASSWORD), description="PostgreSQL password (required in production)"
    )
    pg_database: str = Field(default="sigap", description="the service's own database")
    pg_pool_min: int = Field(default=2, description="connections each process keeps open")
    pg_pool_max: int = Field(default=10, description="most connections each process opens")

    jwt_secret: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_JWT_SECRET), description="signs staff access tokens (required in production)"
    )
    jwt_access_ttl_s: int = Field(default=900, description="seconds a staff access token is valid")
    # Service-to-service calls to internal APIs carry this bearer token (SIGAP_INTERNAL_TOKEN).
    internal_token: SecretStr | None = Field(
        default=SecretStr(DEVELOPMENT_INTERNAL_TOKEN),
        description="bearer token of service-to-service calls to internal APIs (required in production)",
    )

    # Services with staff endpoints that do not own the accounts (routing, notify) ask status
    # whether a token's account is still active, and remember each answer this long: the
    # bound on how late a deactivation, a role change or an unknown account is noticed there.
    staff_checked_at_status: ClassVar[bool] = False
    status_internal_url: str | None = Field(
        default=None,
        description="routing and notify: status's internal API, asked whether a staff token's account is still "
        "active (`services/status/STAFF_CONTRACT.md`); required in production. Unset: the token's signature alone "
        "is checked",
    )
    staff_check_ttl_s: float = Field(
        default=30.0,
        ge=0,
        description="routing and notify: how long an answer about a staff account is remembered, which bounds how "
        "late a deactivation or role change is noticed there",
    )

    outbox_retention_s: float = Field(default=24 * 3600, description="how long sent outbox rows are kept")
    inbox_retention_s: float = Field(
        default=8 * 24 * 3600, description="how long handled event ids are remembered against redelivery"
    )
    outbox_batch_size: int = Field(default=500, description="outbox rows the relay publishes per round")
    outbox_poll_interval_s: float = Field(
        default=1.0, description="how often the relay looks for rows when no commit woke it"
    )
    consumer_batch_size: int = Field(default=500, description="records a consumer takes per poll")
    consumer_max_attempts: int = Field(
        default=3, description="attempts at an event whose handler fails before it is dead-lettered"
    )
    # How often consumers commit their Kafka offsets (0: after every poll). The inbox makes the
    # re-read of anything uncommitted at a crash harmless.
    kafka_commit_interval_s: float = Field(
        default=1.0, ge=0, description="how often consumers commit offsets (after the database commit; 0: every poll)"
    )
    # How long a consumer may sit on waiting messages without progress, or the dead-letter
    # publisher or outbox relay on one piece of work, before /readyz fails and the log says why.
    stall_after_s: float = Field(
        default=60.0,
        gt=0,
        description="how long a consumer may sit on waiting messages without progress, or the dead-letter "
        "publisher or outbox relay on one piece of work, before `/readyz` fails and the log says why",
    )

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
