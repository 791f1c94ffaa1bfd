"""The web service's settings (env prefix SIGAP_): where the four services are, the keys that
seal the staff session and sign CSRF tokens, and where the browser libraries are installed."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator

from sigap_shared.settings import ServiceSettings

DEVELOPMENT_SESSION_SECRET = "sigap-development-web-session-secret-change-me"

# services/web/node_modules when running from the source tree (what deploy/web.sh installs).
_SOURCE_NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"


class WebSettings(ServiceSettings):
    service_name: str = "web"
    http_port: int = 8080

    # The four services, over HTTP only (the web service has no database and no Kafka).
    web_intake_url: str = "http://127.0.0.1:8000"
    """web: where intake is"""
    web_routing_url: str = "http://127.0.0.1:8001"
    """web: where routing is"""
    web_status_url: str = "http://127.0.0.1:8002"
    """web: where status is"""
    web_notify_url: str = "http://127.0.0.1:8003"
    """web: where notify is"""
    web_upstream_timeout_s: float = Field(default=10.0, gt=0)
    """web: timeout of calls to the four services"""

    # Seals the staff session cookie and signs CSRF tokens (keys are derived per purpose).
    web_session_secret: SecretStr = SecretStr(DEVELOPMENT_SESSION_SECRET)
    """web: seals the staff session cookie and signs CSRF tokens (required in production)"""
    # How long a staff session lives without activity; status's refresh token bounds it too.
    web_session_max_age_s: int = Field(default=12 * 3600, ge=300)
    """web: a staff session's lifetime without activity"""
    # Cookies are always Secure: browsers treat http://127.0.0.1 and http://localhost as secure.
    # The origin form posts must come from, e.g. "https://sigap.depok.go.id"; unset: the
    # request's own scheme and Host (right when nothing in front rewrites them).
    web_public_origin: str | None = None
    """web: the address people use (e.g. `https://sigap.depok.go.id`), checked against each form's
    `Origin`; unset: the request's own"""

    # Where `npm ci` put the browser libraries (Leaflet); the image sets its own path.
    web_node_modules: Path = _SOURCE_NODE_MODULES
    """web: where `npm ci` put the browser libraries"""
    # An optional raster tile server for the map, e.g. "https://tiles.example/{z}/{x}/{y}.png";
    # unset: the map shows Depok's kelurahan boundaries only, with no request leaving the city.
    web_tile_url: str | None = None
    """web: an optional map tile server (`https://tiles.example/{z}/{x}/{y}.png`); unset: the map shows the
    kelurahan boundaries only"""
    web_tile_attribution: str = ""
    """web: the tile server's attribution"""

    @model_validator(mode="after")
    def _refuse_default_secrets_in_production(self) -> "WebSettings":
        """Replaces the shared check: the web service holds no database password and signs no
        staff tokens, so its only secret is the session key."""
        if self.environment == "production" and (
            self.web_session_secret.get_secret_value() == DEVELOPMENT_SESSION_SECRET
        ):
            raise ValueError(
                "SIGAP_WEB_SESSION_SECRET still has the development default; set a long random secret in production"
            )
        return self
