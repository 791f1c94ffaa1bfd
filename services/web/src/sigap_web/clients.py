"""The web service's only way to the rest of Sigap: one HTTP client per service (intake,
routing, status, notify), with the page's language, the staff member's access token and a
correlation id passed along. An upstream 4xx comes back as `UpstreamRefused` carrying the
service's own problem+json (already in the page's language); a timeout, a refused connection
or a 5xx as `UpstreamUnavailable`, which pages show as "try again shortly"."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import structlog

from sigap_shared.tracing import current_traceparent
from sigap_web.settings import WebSettings

log = structlog.get_logger(__name__)


class UpstreamUnavailable(Exception):
    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service} unavailable: {reason}")
        self.service = service


class UpstreamRefused(Exception):
    """The service answered 4xx: `problem` is its problem+json body ({} when it sent none)."""

    def __init__(self, service: str, status: int, problem: dict[str, Any], headers: Mapping[str, str]) -> None:
        super().__init__(f"{service} answered {status}")
        self.service = service
        self.status = status
        self.problem = problem
        self.headers = headers

    @property
    def slug(self) -> str:
        return str(self.problem.get("type", "")).rsplit("/", 1)[-1]

    @property
    def message(self) -> str:
        return str(self.problem.get("detail") or self.problem.get("title") or "")


@dataclass(frozen=True, slots=True)
class Call:
    """Who a call is made for: the page's language, the staff member's token (if any), the
    browser's address (intake limits per device and address) and a correlation id."""

    lang: str = "id"
    token: str | None = None
    client_ip: str | None = None
    device_id: str | None = None
    correlation_id: str | None = None

    def headers(self) -> dict[str, str]:
        headers = {"Accept-Language": self.lang}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.client_ip:
            headers["X-Forwarded-For"] = self.client_ip
        if self.device_id:
            headers["X-Device-Id"] = self.device_id
        if self.correlation_id:
            headers["X-Correlation-ID"] = self.correlation_id
        # The page's request span: the API's server span becomes its child, one trace per click.
        if traceparent := current_traceparent():
            headers["traceparent"] = traceparent
        return headers


class ServiceClient:
    def __init__(self, name: str, base_url: str, *, timeout_s: float, transport: httpx.AsyncBaseTransport | None = None):
        self.name = name
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout_s, transport=transport)

    async def request(
        self,
        method: str,
        path: str,
        call: Call,
        *,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        try:
            response = await self._http.request(
                method,
                path,
                json=json,
                data=data,
                files=files,
                params=params,
                headers={**call.headers(), **(headers or {})},
            )
        except httpx.HTTPError as exc:
            log.warning("upstream_unreachable", service=self.name, path=path, error=type(exc).__name__)
            raise UpstreamUnavailable(self.name, type(exc).__name__) from None
        if response.status_code >= 500:
            log.warning("upstream_failed", service=self.name, path=path, status=response.status_code)
            raise UpstreamUnavailable(self.name, f"HTTP {response.status_code}")
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {}
            raise UpstreamRefused(
                self.name, response.status_code, problem if isinstance(problem, dict) else {}, response.headers
            )
        return response

    async def get_json(self, path: str, call: Call, **kwargs: Any) -> Any:
        return (await self.request("GET", path, call, **kwargs)).json()

    async def post_json(self, path: str, call: Call, **kwargs: Any) -> Any:
        return (await self.request("POST", path, call, **kwargs)).json()

    async def health(self) -> str:
        """"ok", or why the service's /healthz did not answer 200."""
        try:
            response = await self._http.get("/healthz", timeout=3)
        except httpx.HTTPError as exc:
            return f"unavailable: {type(exc).__name__}"
        return "ok" if response.status_code == 200 else f"HTTP {response.status_code}"

    async def aclose(self) -> None:
        await self._http.aclose()


class IntakeClient(ServiceClient):
    async def open_web_capture_session(self, call: Call, *, track_width: int, track_height: int) -> dict:
        return await self.post_json(
            "/v1/capture-sessions",
            call,
            json={"source": "web_camera", "track": {"width": track_width, "height": track_height}},
        )

    async def upload_photo(
        self, call: Call, *, jpeg: bytes, form: Mapping[str, str], idempotency_key: str | None
    ) -> httpx.Response:
        return await self.request(
            "POST",
            "/v1/photos",
            call,
            data=form,
            files={"file": ("kamera.jpg", jpeg, "image/jpeg")},
            headers={"Idempotency-Key": idempotency_key} if idempotency_key else None,
        )

    async def submit_complaint(self, call: Call, *, complaint: dict, idempotency_key: str | None) -> httpx.Response:
        return await self.request(
            "POST",
            "/v1/complaints",
            call,
            json=complaint,
            headers={"Idempotency-Key": idempotency_key} if idempotency_key else None,
        )

    async def track(self, call: Call, *, tracking_code: str, follow_up_token: str | None) -> dict:
        headers = {"X-Follow-Up-Token": follow_up_token} if follow_up_token else None
        return await self.get_json(f"/v1/track/{tracking_code}", call, headers=headers)

    async def follow_up(
        self, call: Call, *, tracking_code: str, follow_up_token: str, action: str, body: dict
    ) -> dict:
        """`action`: information, rating or reopen (intake's reporter follow-up endpoints)."""
        return await self.post_json(
            f"/v1/track/{tracking_code}/{action}", call, json=body, headers={"X-Follow-Up-Token": follow_up_token}
        )


    async def my_privacy_requests(
        self, call: Call, *, tracking_code: str, follow_up_token: str, exports: bool
    ) -> list[dict]:
        """The reporter's personal-data requests and their answers (UU 27/2022); with `exports`
        an answered access request carries its export, and intake audits that delivery."""
        return await self.get_json(
            f"/v1/track/{tracking_code}/privacy-requests?exports={'true' if exports else 'false'}",
            call,
            headers={"X-Follow-Up-Token": follow_up_token},
        )

    async def ask_privacy(
        self, call: Call, *, tracking_code: str, follow_up_token: str, kind: str, details: str | None
    ) -> dict:
        body = {"kind": kind} | ({"details": details} if details else {})
        return await self.post_json(
            f"/v1/track/{tracking_code}/privacy-requests", call, json=body, headers={"X-Follow-Up-Token": follow_up_token}
        )


class RoutingClient(ServiceClient):
    async def preview(self, call: Call, *, description: str, location: dict | None) -> dict:
        return await self.post_json(
            "/v1/routing/preview", call, json={"description": description, "location": location}
        )

    async def departments(self, call: Call) -> list[dict]:
        return await self.get_json("/v1/routing/departments", call)

    async def kelurahan_geojson(self, call: Call) -> bytes:
        return (await self.request("GET", "/v1/routing/areas/kelurahan", call)).content


class StatusClient(ServiceClient):
    async def login(self, call: Call, *, username: str, password: str) -> dict:
        return await self.post_json("/v1/auth/login", call, json={"username": username, "password": password})

    async def refresh(self, call: Call, *, refresh_token: str) -> dict:
        return await self.post_json("/v1/auth/refresh", call, json={"refresh_token": refresh_token})

    async def me(self, call: Call) -> dict:
        return await self.get_json("/v1/auth/me", call)

    async def lapor_stage(self, call: Call, *, tracking_code: str) -> dict:
        """The complaint's SP4N-LAPOR! stage (docs/lapor.md); only the stage, no text."""
        return await self.get_json(f"/v1/track/{tracking_code}/lapor-stage", call)


    # -- personal-data requests: the data protection officer's API (status forwards to intake) --

    async def privacy_queue(self, call: Call, *, state: str) -> list[dict]:
        return await self.get_json("/v1/privacy/requests", call, params={"state": state})

    async def privacy_request(self, call: Call, *, request_id: str, export: bool = False) -> dict:
        """One personal-data request; with `export` (the dpo downloading it) a granted access
        request carries its export, and intake audits that delivery."""
        params = {"export": "true"} if export else None
        return await self.get_json(f"/v1/privacy/requests/{request_id}", call, params=params)

    async def privacy_audit(self, call: Call, *, complaint_id: str) -> list[dict]:
        return await self.get_json("/v1/privacy/audit", call, params={"complaint_id": complaint_id})

    async def answer_privacy_request(self, call: Call, *, request_id: str, body: dict) -> dict:
        return await self.post_json(f"/v1/privacy/requests/{request_id}/answer", call, json=body)

    async def record_privacy_request(self, call: Call, *, body: dict) -> dict:
        return await self.post_json("/v1/privacy/requests", call, json=body)


class NotifyClient(ServiceClient):
    """Notify's staff API (templates, webhooks) through `request`; the live stream through
    `open_stream`."""

    async def open_stream(self, call: Call, *, params: Mapping[str, str]) -> httpx.Response:
        """Notify's staff stream (Server-Sent Events), open and unread: the caller relays it
        and closes it. Refusals and failures are raised as for `request`."""
        request = self._http.build_request(
            "GET",
            "/v1/stream",
            params=params,
            headers={**call.headers(), "Accept": "text/event-stream"},
            # Notify sends a keep-alive at least every 15 s; a silent minute means it is gone.
            timeout=httpx.Timeout(10.0, read=60.0),
        )
        try:
            response = await self._http.send(request, stream=True)
        except httpx.HTTPError as exc:
            log.warning("upstream_unreachable", service=self.name, path="/v1/stream", error=type(exc).__name__)
            raise UpstreamUnavailable(self.name, type(exc).__name__) from None
        if response.status_code >= 400:
            body = await response.aread()
            await response.aclose()
            if response.status_code >= 500:
                raise UpstreamUnavailable(self.name, f"HTTP {response.status_code}")
            try:
                problem = json.loads(body)
            except ValueError:
                problem = {}
            raise UpstreamRefused(
                self.name, response.status_code, problem if isinstance(problem, dict) else {}, response.headers
            )
        return response


@dataclass(frozen=True)
class Upstreams:
    intake: IntakeClient
    routing: RoutingClient
    status: StatusClient
    notify: NotifyClient

    @classmethod
    def from_settings(cls, settings: WebSettings, transport: httpx.AsyncBaseTransport | None = None) -> "Upstreams":
        timeout = settings.web_upstream_timeout_s
        return cls(
            intake=IntakeClient("intake", settings.web_intake_url, timeout_s=timeout, transport=transport),
            routing=RoutingClient("routing", settings.web_routing_url, timeout_s=timeout, transport=transport),
            status=StatusClient("status", settings.web_status_url, timeout_s=timeout, transport=transport),
            notify=NotifyClient("notify", settings.web_notify_url, timeout_s=timeout, transport=transport),
        )

    async def aclose(self) -> None:
        for client in (self.intake, self.routing, self.status, self.notify):
            await client.aclose()
