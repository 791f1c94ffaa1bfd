"""What every service's OpenAPI document says about errors, and the 405 answer: the shared
handlers' problem+json responses are documented on every operation (FastAPI's own 422 schema,
which no Sigap API sends, is replaced), a route's own error format stays, and a 405 names every
method of the path in `Allow`, not only those of the first route the router tried."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from sigap_shared.openapi import PROBLEM_RESPONSES, document_problems
from sigap_shared.problems import PROBLEM_JSON, install_problem_handlers


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    document_problems(app)

    @app.get("/templates/{key}")
    async def read(key: int) -> dict[str, int]:
        return {"key": key}

    @app.put("/templates/{key}")
    async def write(key: int) -> dict[str, int]:
        return {"key": key}

    @app.get("/open311/{fmt}", responses={404: {"description": "own format", "content": {"text/xml": {}}}})
    async def own_format(fmt: str) -> dict[str, str]:
        return {"fmt": fmt}

    return app


@pytest.fixture
async def client():
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url="http://api.test") as client:
        yield client


async def test_a_405_names_every_method_of_the_path(client):
    response = await client.delete("/templates/1")
    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["allow"] == "GET, PUT"


async def test_every_operation_documents_the_problem_answers(client):
    document = (await client.get("/openapi.json")).json()
    assert "Problem" in document["components"]["schemas"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for method in ("get", "put"):
        responses = document["paths"]["/templates/{key}"][method]["responses"]
        assert set(responses) == {"200"} | {str(status) for status in PROBLEM_RESPONSES}
        for status in PROBLEM_RESPONSES:
            assert list(responses[str(status)]["content"]) == [PROBLEM_JSON]
    own = document["paths"]["/open311/{fmt}"]["get"]["responses"]
    assert list(own["404"]["content"]) == ["text/xml"]
    assert list(own["422"]["content"]) == [PROBLEM_JSON]
