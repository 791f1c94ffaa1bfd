"""Every running service refuses a request body over SIGAP_HTTP_MAX_BODY_BYTES (1 MiB by
default) with 413 problem+json, whether the body declares its length or comes chunked; a
photo upload may be as large as the largest photo accepted, and no larger."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

pytestmark = pytest.mark.e2e

MIB = 1024 * 1024

# A route of each service that reads a JSON body.
JSON_ROUTES = {
    "intake": "/v1/complaints",
    "routing": "/v1/routing/preview",
    "status": "/v1/auth/login",
    "notify": "/v1/subscriptions",
}


async def _chunked(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    # An endless-looking JSON string: only the size limit stops it.
    yield b'{"description": "'
    for start in range(0, total, size):
        yield b"x" * min(size, total - start)


def _assert_too_large(response: httpx.Response, limit: int) -> None:
    assert response.status_code == 413, response.text[:300]
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "/problems/request-too-large" and body["max_bytes"] == limit


@pytest.mark.parametrize("service", JSON_ROUTES)
async def test_an_oversized_body_is_refused_with_413_declared_or_chunked(sigap, service):
    url = sigap.url(service) + JSON_ROUTES[service]
    headers = {"content-type": "application/json"}
    async with httpx.AsyncClient(timeout=60) as client:
        declared = await client.post(url, content=b"x" * (2 * MIB), headers=headers)
    _assert_too_large(declared, MIB)
    async with httpx.AsyncClient(timeout=60) as client:
        chunked = await client.post(url, content=_chunked(8 * MIB), headers=headers)
    _assert_too_large(chunked, MIB)
    async with httpx.AsyncClient(timeout=60) as client:
        # The service is still there, and a body under the limit is read as usual.
        small = await client.post(url, content=b'{"not": "valid here"}', headers=headers)
    assert small.status_code == 422 and small.json()["type"] == "/problems/validation-error"


async def test_a_photo_upload_keeps_its_larger_limit(sigap):
    url = sigap.url("intake") + "/v1/photos"
    photo_limit = 10 * MIB + 64 * 1024  # SIGAP_PHOTO_MAX_BYTES (default) and the form around it
    async with httpx.AsyncClient(timeout=60) as client:
        token = (await client.post(sigap.url("intake") + "/v1/capture-sessions")).json()["capture_token"]
        not_a_photo = b"\xff\xd8\xff" + b"\x00" * (3 * MIB)
        allowed = await client.post(
            url, data={"capture_token": token}, files={"file": ("IMG.jpg", not_a_photo, "image/jpeg")}
        )
        # Read in full and judged: a 3 MB file that is no JPEG at all.
        assert allowed.status_code == 422 and allowed.json()["type"] == "/problems/corrupt-image"
        over_the_limit = b"\xff\xd8\xff" + b"\x00" * (11 * MIB)
        too_large = await client.post(
            url, data={"capture_token": token}, files={"file": ("IMG.jpg", over_the_limit, "image/jpeg")}
        )
    _assert_too_large(too_large, photo_limit)
