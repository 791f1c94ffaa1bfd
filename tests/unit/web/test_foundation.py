"""The web service's foundation without the other services: the catalogues, security headers,
CSRF, the sealed staff session, the language switch and the static assets."""

from __future__ import annotations

import re
import time

import pytest
from fastapi.testclient import TestClient

from sigap_web.bootstrap import create_app
from sigap_web.i18n import LANGUAGES, catalogue_parts, load_catalogue, placeholders
from sigap_web.security import CSRF_COOKIE
from sigap_web.session import SESSION_COOKIE, SessionSealer, StaffSession
from sigap_web.settings import WebSettings
from sigap_web.staff.auth import _safe_next

# https: the test client, unlike browsers, sends Secure cookies to no plain-http host.
ORIGIN = "https://127.0.0.1:8080"


@pytest.fixture(scope="module")
def client() -> TestClient:
    # The upstream URLs point nowhere: these tests never reach another service.
    settings = WebSettings(
        web_intake_url="http://127.0.0.1:9", web_routing_url="http://127.0.0.1:9",
        web_status_url="http://127.0.0.1:9", web_notify_url="http://127.0.0.1:9",
    )
    return TestClient(create_app(settings), base_url=ORIGIN)


def _token(html: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match
    return match.group(1)


def test_both_catalogues_have_the_same_keys_and_placeholders() -> None:
    assert catalogue_parts("id") == catalogue_parts("en")
    catalogues = {lang: load_catalogue(lang) for lang in LANGUAGES}
    assert catalogues["id"].keys() == catalogues["en"].keys()
    for key, text in catalogues["id"].items():
        assert placeholders(text) == placeholders(catalogues["en"][key]), key
        assert text.strip() and catalogues["en"][key].strip(), key


def test_every_catalogue_key_a_template_names_exists() -> None:
    from importlib import resources

    catalogue = load_catalogue("id")
    templates = resources.files("sigap_web") / "templates"
    named: set[str] = set()
    for path in templates.rglob("*.html"):  # type: ignore[attr-defined]
        named |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_.]+)["']""", path.read_text()))
    assert named, "no t(...) call found: the pattern no longer matches the templates"
    missing = [key for key in named - catalogue.keys() if not key.endswith(".")]
    # `t("kind." ~ kind)` names a family of keys by its prefix.
    missing += [key for key in named if key.endswith(".") and not any(k.startswith(key) for k in catalogue)]
    assert sorted(missing) == []


def test_pages_carry_the_security_headers(client: TestClient) -> None:
    response = client.get("/lapor")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "camera=(self)" in response.headers["permissions-policy"]
    assert "geolocation=(self)" in response.headers["permissions-policy"]
    # No inline script: every <script> either loads a file or is a JSON data block.
    for tag in re.findall(r"<script[^>]*>", response.text):
        assert "src=" in tag or 'type="application/json"' in tag, tag


def test_cookies_are_httponly_secure_and_strict(client: TestClient) -> None:
    fresh = TestClient(client.app, base_url=ORIGIN)
    cookie = fresh.get("/", params={"lang": "en"}).headers.get_list("set-cookie")
    assert any(c.startswith(CSRF_COOKIE + "=") for c in cookie)
    for value in cookie:
        assert "HttpOnly" in value and "Secure" in value and "SameSite=Strict" in value


def test_indonesian_first_and_an_english_switch_that_sticks(client: TestClient) -> None:
    fresh = TestClient(client.app, base_url=ORIGIN)
    assert 'lang="id"' in fresh.get("/", headers={"accept-language": "en"}).text
    assert 'lang="en"' in fresh.get("/", params={"lang": "en"}).text
    assert 'lang="en"' in fresh.get("/").text  # remembered in the cookie
    assert 'lang="id"' in fresh.get("/", params={"lang": "id"}).text


def test_a_form_post_needs_the_token_and_this_origin(client: TestClient) -> None:
    fresh = TestClient(client.app, base_url=ORIGIN)
    token = _token(fresh.get("/masuk").text)
    form = {"username": "siti", "password": "x"}
    missing = fresh.post("/masuk", data=form, headers={"origin": ORIGIN, "accept": "text/html"})
    assert missing.status_code == 403 and "kedaluwarsa" in missing.text
    forged = fresh.post("/masuk", data={**form, "csrf_token": token[:-2] + "xx"}, headers={"origin": ORIGIN})
    assert forged.status_code == 403
    cross_site = fresh.post("/masuk", data={**form, "csrf_token": token}, headers={"origin": "https://evil.example"})
    assert cross_site.status_code == 403 and cross_site.json()["type"].endswith("/cross-site-request")
    # Someone else's cookie does not go with this token.
    other = TestClient(client.app, base_url=ORIGIN)
    other.get("/masuk")
    stolen = other.post("/masuk", data={**form, "csrf_token": token}, headers={"origin": ORIGIN})
    assert stolen.status_code == 403
    # With the token and the origin the request reaches status (which is not running here).
    passed = fresh.post("/masuk", data={**form, "csrf_token": token}, headers={"origin": ORIGIN, "accept": "text/html"})
    assert passed.status_code == 503


def test_script_calls_need_the_token_header(client: TestClient) -> None:
    fresh = TestClient(client.app, base_url=ORIGIN)
    token = fresh.get("/api/csrf").json()["csrf_token"]
    body = {"description": "Lampu jalan mati", "location": None}
    refused = fresh.post("/api/routing/preview", json=body, headers={"origin": ORIGIN})
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    allowed = fresh.post("/api/routing/preview", json=body, headers={"origin": ORIGIN, "x-csrf-token": token})
    assert allowed.status_code == 503  # routing is not running: a clear problem, not a 500
    assert allowed.json()["type"].endswith("/service-unavailable")
    assert allowed.headers["retry-after"] == "5"


def test_the_session_cookie_is_sealed_and_expires() -> None:
    sealer = SessionSealer(b"k" * 32, max_age_s=300)
    session = StaffSession(
        sid="s", username="dishub.admin", role="dept_admin", department="DISHUB",
        access_token="secret-access", access_expires_at=time.time() + 900, refresh_token="secret-refresh",
    )
    sealed = sealer.seal(session)
    assert "secret" not in sealed and "dishub" not in sealed
    assert sealer.open(sealed) == session
    assert sealer.open(sealed[:-3] + "AAA") is None
    assert SessionSealer(b"other" * 8, max_age_s=300).open(sealed) is None
    import json
    from dataclasses import asdict

    old = sealer._fernet.encrypt_at_time(json.dumps(asdict(session)).encode(), int(time.time()) - 301)
    assert sealer.open(old.decode()) is None  # older than the session lifetime
    assert "secret" not in repr(session)


def test_a_staff_page_without_a_session_goes_to_login(client: TestClient) -> None:
    fresh = TestClient(client.app, base_url=ORIGIN)
    fresh.cookies.set(SESSION_COOKIE, "not-a-sealed-session")
    response = fresh.get("/dasbor", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/masuk?next=/dasbor"
    assert any(c.startswith(SESSION_COOKIE + "=;") for c in response.headers.get_list("set-cookie"))


@pytest.mark.parametrize(
    ("target", "expected"),
    [("/dasbor?x=1", "/dasbor?x=1"), ("//evil.example/x", "/dasbor"), ("https://evil.example", "/dasbor"),
     ("/\\evil.example", "/dasbor"), (None, "/dasbor")],
)
def test_login_only_returns_to_this_site(target, expected) -> None:
    assert _safe_next(target, "dept_admin") == expected


def test_assets_are_versioned_compressed_and_immutable(client: TestClient) -> None:
    page = client.get("/lapor").text
    leaflet = re.search(r'src="(/static/vendor/leaflet/leaflet\.js\?v=[0-9a-f]{12})"', page)
    assert leaflet, "the page loads Leaflet from this site"
    response = client.get(leaflet.group(1), headers={"accept-encoding": "gzip"})
    assert response.status_code == 200 and response.headers["content-encoding"] == "gzip"
    assert "immutable" in response.headers["cache-control"]
    assert client.get("/static/vendor/leaflet/leaflet.js").headers["cache-control"] == "no-cache"
    assert client.get("/static/../pyproject.toml").status_code == 404
    worker = client.get("/sw.js")
    assert worker.headers["service-worker-allowed"] == "/" and leaflet.group(1) in worker.text


def test_no_page_of_the_web_service_loads_anything_from_another_site(client: TestClient) -> None:
    # FastAPI's default /docs and /redoc pull Swagger UI and ReDoc from a public CDN, which a
    # city intranet cannot reach; web has none, and its OpenAPI document names no other host.
    for path in ("/docs", "/redoc"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert "cdn." not in answer.text
    document = client.get("/openapi.json")
    assert document.status_code == 200
    assert "https://" not in document.text
