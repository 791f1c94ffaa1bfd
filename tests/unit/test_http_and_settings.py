"""Problem details, language negotiation and settings, through a real FastAPI app."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError

from sigap_intake.complaints.router import ComplaintIn
from sigap_intake.settings import IntakeSettings
from sigap_shared.problems import Problem, Text, install_problem_handlers


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/echo")
    async def echo(body: ComplaintIn) -> dict:
        return {"ok": True}

    @app.get("/conflict")
    async def conflict() -> dict:
        raise Problem(status=409, slug="conflict", title=Text("Bentrok", "Conflict"), allowed=["a"])

    @app.get("/boom")
    async def boom() -> dict:
        raise RuntimeError("secret internals")

    @app.get("/database-down")
    async def database_down() -> dict:
        raise ConnectionRefusedError("database at 10.0.0.5 refused")

    return app


def test_validation_error_names_each_field_in_indonesian_by_default():
    client = TestClient(_app())
    response = client.post("/echo", json={"description": "pendek", "privacy": "rahasia2", "extra": 1})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["content-language"] == "id"
    body = response.json()
    fields = {error["field"]: error["message"] for error in body["errors"]}
    assert set(fields) == {"description", "privacy", "extra"}
    assert fields["description"] == "terlalu pendek: minimal 10 karakter"
    assert fields["extra"] == "kolom ini tidak dikenal"
    assert body["status"] == 422 and body["type"] == "/problems/validation-error"


def test_english_when_preferred():
    client = TestClient(_app())
    response = client.post(
        "/echo", json={"description": "pendek"}, headers={"Accept-Language": "en-US,en;q=0.9,id;q=0.5"}
    )
    assert response.headers["content-language"] == "en"
    assert response.json()["errors"][0]["message"] == "is too short: at least 10 characters"
    body = TestClient(_app()).get("/conflict", headers={"Accept-Language": "id, en;q=0.8"}).json()
    assert body["title"] == "Bentrok" and body["allowed"] == ["a"]


def test_malformed_json_and_unexpected_errors_are_problems_too():
    client = TestClient(_app(), raise_server_exceptions=False)
    response = client.post("/echo", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "(body)"
    response = client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "secret internals" not in response.text
    assert response.json()["type"] == "/problems/internal-error"
    assert response.json()["title"] == "Terjadi kesalahan pada server"
    assert client.get("/nowhere").json()["status"] == 404


def test_an_unreachable_database_is_a_503_that_says_when_to_try_again():
    client = TestClient(_app(), raise_server_exceptions=False)
    response = client.get("/database-down", headers={"Accept-Language": "en"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"
    body = response.json()
    assert body["type"] == "/problems/temporarily-unavailable"
    assert body["title"] == "Service temporarily unavailable"
    assert body["detail"] == "Please try again shortly. Nothing was lost."
    assert "10.0.0.5" not in response.text


def test_settings_come_from_prefixed_environment(monkeypatch):
    monkeypatch.setenv("SIGAP_KAFKA_BOOTSTRAP", "broker.local:9999")
    monkeypatch.setenv("SIGAP_PG_PORT", "6543")
    settings = IntakeSettings()
    assert settings.kafka_bootstrap == "broker.local:9999"
    assert settings.pg_port == 6543
    assert settings.http_port == 8000 and settings.pg_database == "sigap_intake"
    assert settings.effective_log_format == "console"


def test_production_refuses_the_development_password(monkeypatch):
    monkeypatch.setenv("SIGAP_ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="SIGAP_PG_PASSWORD"):
        IntakeSettings()
    monkeypatch.setenv("SIGAP_PG_PASSWORD", "a-real-secret")
    with pytest.raises(ValidationError, match="SIGAP_JWT_SECRET"):
        IntakeSettings()
    monkeypatch.setenv("SIGAP_JWT_SECRET", "another-real-secret-of-enough-length-123")
    assert IntakeSettings().effective_log_format == "json"
