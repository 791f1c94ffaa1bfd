"""Safe retries with Idempotency-Key and reporter identities at rest, against real PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from sigap_intake import domain
from sigap_intake.complaints import commands

pytestmark = pytest.mark.integration


def _complaint(**overrides) -> dict:
    body = {
        "kind": "pengaduan",
        "description": "Saluran air di Jl. Kenanga tersumbat, air meluap ke jalan setiap hujan",
        "location": {"lat": -6.3731, "lon": 106.8190, "address": "Jl. Kenanga, Beji"},
        "privacy": "publik",
        "reporter": {"name": "Budi Santoso", "phone": "081298765432", "email": "budi.s@example.com"},
    }
    body.update(overrides)
    return body


async def _count(pool, table: str) -> int:
    return await pool.fetchval(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names


async def test_a_retry_with_the_same_key_returns_the_first_answer(intake):
    key = str(uuid.uuid4())
    first = await intake.client.post("/v1/complaints", json=_complaint(), headers={"Idempotency-Key": key})
    assert first.status_code == 201, first.text
    again = await intake.client.post("/v1/complaints", json=_complaint(), headers={"Idempotency-Key": key})
    assert again.status_code == first.status_code
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await _count(intake.pool, "complaints") == 1
    assert await _count(intake.pool, "outbox") == 1


async def test_without_a_key_or_with_a_new_key_each_post_is_a_new_complaint(intake):
    for headers in ({}, {}, {"Idempotency-Key": str(uuid.uuid4())}, {"Idempotency-Key": str(uuid.uuid4())}):
        response = await intake.client.post("/v1/complaints", json=_complaint(), headers=headers)
        assert response.status_code == 201
    assert await _count(intake.pool, "complaints") == 4


async def test_same_key_with_another_body_is_a_problem_and_changes_nothing(intake):
    key = str(uuid.uuid4())
    first = await intake.client.post("/v1/complaints", json=_complaint(), headers={"Idempotency-Key": key})
    assert first.status_code == 201
    other = await intake.client.post(
        "/v1/complaints",
        json=_complaint(description="Pohon tumbang menutup jalan di depan Balai Kota Depok"),
        headers={"Idempotency-Key": key},
    )
    assert other.status_code == 422
    assert other.headers["content-type"].startswith("application/problem+json")
    problem = other.json()
    assert problem["type"].endswith("/idempotency-key-reused")
    assert "Idempotency-Key" in problem["detail"]
    english = await intake.client.post(
        "/v1/complaints",
        json=_complaint(description="Pohon tumbang menutup jalan di depan Balai Kota Depok"),
        headers={"Idempotency-Key": key, "Accept-Language": "en"},
    )
    assert "different request" in english.json()["detail"]
    assert await _count(intake.pool, "complaints") == 1


async def test_a_failed_request_does_not_burn_its_key(intake):
    key = str(uuid.uuid4())
    bad = await intake.client.post(
        "/v1/complaints", json=_complaint(privacy="anonim"), headers={"Idempotency-Key": key}
    )
    assert bad.status_code == 422
    fixed = await intake.client.post(
        "/v1/complaints", json=_complaint(privacy="anonim", reporter=None), headers={"Idempotency-Key": key}
    )
    assert fixed.status_code == 201
    assert await _count(intake.pool, "complaints") == 1


async def test_racing_identical_requests_make_one_complaint(intake):
    key = str(uuid.uuid4())
    responses = await asyncio.gather(
        *(
            intake.client.post("/v1/complaints", json=_complaint(), headers={"Idempotency-Key": key})
            for _ in range(6)
        )
    )
    assert {response.status_code for response in responses} == {201}
    assert len({response.json()["id"] for response in responses}) == 1
    assert sum("idempotent-replayed" in response.headers for response in responses) == 5
    assert await _count(intake.pool, "complaints") == 1
    assert await _count(intake.pool, "outbox") == 1


async def test_racing_handlers_on_separate_connections_make_one_complaint(intake):
    command = domain.SubmitComplaint(
        kind="pengaduan", description="Lampu jalan mati di Jl. Juanda sejak seminggu", privacy="anonim",
        address="Jl. Ir. H. Juanda",
    )
    retry = domain.RetryKey(scope="complaints", key=str(uuid.uuid4()), request_hash=b"same-request")

    async def submit():
        async with intake.pool.acquire() as conn:
            return await commands.submit_complaint(
                conn=conn, command=command, sealer=intake.context.sealer, retry=retry
            )

    outcomes = await asyncio.gather(*(submit() for _ in range(4)))
    assert len({outcome.body["id"] for outcome in outcomes}) == 1
    assert [outcome.replayed for outcome in outcomes].count(False) == 1
    assert await _count(intake.pool, "complaints") == 1


async def test_bad_idempotency_keys_are_validation_problems(intake):
    response = await intake.client.post(
        "/v1/complaints", json=_complaint(), headers={"Idempotency-Key": "x" * 300}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["in"] == "header"


@pytest.mark.parametrize("privacy", ["publik", "rahasia"])
async def test_reporter_identity_is_encrypted_at_rest(intake, privacy):
    response = await intake.client.post("/v1/complaints", json=_complaint(privacy=privacy))
    assert response.status_code == 201
    complaint_id = uuid.UUID(response.json()["id"])
    async with intake.pool.acquire() as conn:
        dump = await conn.fetchval(
            "SELECT string_agg(t::text, ' ') FROM ("
            " SELECT row_to_json(c)::text AS t FROM complaints c"
            " UNION ALL SELECT row_to_json(o)::text || encode(o.payload, 'escape') FROM outbox o"
            " UNION ALL SELECT row_to_json(k)::text FROM idempotency_keys k) rows"
        )
        for secret in ("Budi", "Santoso", "081298765432", "budi.s@example.com"):
            assert secret not in dump
        from sigap_intake.complaints import repository

        sealed = await repository.sealed_identity_of(conn=conn, complaint_id=complaint_id)
    assert intake.context.sealer.open(sealed, bound_to=complaint_id.bytes) == {
        "name": "Budi Santoso",
        "phone": "081298765432",
        "email": "budi.s@example.com",
    }


async def test_stored_retry_responses_are_sealed_too(intake):
    key = str(uuid.uuid4())
    response = await intake.client.post(
        "/v1/complaints", json=_complaint(privacy="rahasia"), headers={"Idempotency-Key": key}
    )
    token = response.json()["follow_up_token"]
    stored = await intake.pool.fetchval("SELECT response FROM idempotency_keys WHERE key = $1", key)
    assert token.encode() not in stored and b"Budi" not in stored


async def test_anonymous_reports_store_no_identity_at_all(intake):
    response = await intake.client.post("/v1/complaints", json=_complaint(privacy="anonim", reporter=None))
    assert response.status_code == 201
    row = await intake.pool.fetchrow(
        "SELECT reporter_identity, reporter_pseudonym FROM complaints WHERE id = $1",
        uuid.UUID(response.json()["id"]),
    )
    assert all(value is None for value in row.values())
    columns = {
        record["column_name"]
        for record in await intake.pool.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'complaints'"
        )
    }
    assert not columns & {"reporter_name", "reporter_phone", "reporter_email"}, "no plaintext identity columns"
    refused = await intake.client.post("/v1/complaints", json=_complaint(privacy="anonim"))
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "reporter"


async def test_an_expired_key_starts_afresh(intake):
    key = str(uuid.uuid4())
    first = await intake.client.post("/v1/complaints", json=_complaint(), headers={"Idempotency-Key": key})
    await intake.pool.execute(
        "UPDATE idempotency_keys SET created_at = now() - interval '2 days' WHERE key = $1", key
    )
    later = await intake.client.post(
        "/v1/complaints",
        json=_complaint(description="Pohon tumbang menutup jalan di depan Balai Kota Depok"),
        headers={"Idempotency-Key": key},
    )
    assert later.status_code == 201 and later.json()["id"] != first.json()["id"]
    assert await _count(intake.pool, "complaints") == 2


@pytest.mark.parametrize("with_key", [False, True])
async def test_a_taken_tracking_code_is_drawn_again_and_only_the_stored_complaint_is_announced(
    intake, monkeypatch, with_key
):
    first = await intake.client.post("/v1/complaints", json=_complaint())
    assert first.status_code == 201, first.text
    taken = first.json()["tracking_code"]
    draws = iter([taken, taken, "SGP-ZZ9Z-" + uuid.uuid4().hex[:2].upper()])
    monkeypatch.setattr(domain, "new_tracking_code", lambda: next(draws))
    headers = {"Idempotency-Key": str(uuid.uuid4())} if with_key else {}
    second = await intake.client.post("/v1/complaints", json=_complaint(), headers=headers)
    assert second.status_code == 201, second.text
    code = second.json()["tracking_code"]
    assert code != taken and code.startswith("SGP-ZZ9Z-")
    rows = await intake.pool.fetch("SELECT tracking_code FROM complaints ORDER BY submitted_at")
    assert [row["tracking_code"] for row in rows] == [taken, code]
    # One ComplaintSubmitted per stored complaint, carrying the code it was stored under.
    payloads = [bytes(row["payload"]) for row in await intake.pool.fetch("SELECT payload FROM outbox ORDER BY id")]
    assert len(payloads) == 2 and taken.encode() in payloads[0] and code.encode() in payloads[1]
