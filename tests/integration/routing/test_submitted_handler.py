"""The consumer's handler on the real database: one decision and one ComplaintRouted per
complaint, however often the event is redelivered, in the same transaction."""

from __future__ import annotations

import pytest

from sigap_routing.events.handlers import complaint_submitted_handler
from sigap_shared.events import ComplaintRouted, decode, headers_from_json
from tests.support.factories import submitted_envelope

pytestmark = pytest.mark.integration


async def test_a_redelivered_submission_is_routed_once(routing_api):
    handler = complaint_submitted_handler(routing_api.engine)
    envelope = submitted_envelope(category=None)  # "Jalan berlubang di depan SDN Beji 1 ..." in Kukusan, Beji
    for _ in range(2):
        async with routing_api.pool.acquire() as conn, conn.transaction():
            await handler(conn=conn, envelope=envelope)

    async with routing_api.pool.acquire() as conn:
        decisions = await conn.fetch(
            "SELECT department, kelurahan_code, taxonomy_version FROM routing_decisions WHERE complaint_id = $1",
            envelope.data.complaint_id,
        )
        outbox = await conn.fetch(
            "SELECT headers, payload FROM outbox WHERE key = $1", str(envelope.data.complaint_id).encode()
        )
    assert len(decisions) == 1 and len(outbox) == 1
    assert decisions[0]["department"] == "DPUPR"
    assert decisions[0]["taxonomy_version"] == 1
    routed = decode(headers_from_json(outbox[0]["headers"]), outbox[0]["payload"]).data
    assert isinstance(routed, ComplaintRouted)
    assert (routed.department, routed.kelurahan_code, routed.kecamatan_name) == ("DPUPR", "32.76.06.1002", "Beji")
    assert decisions[0]["kelurahan_code"] == "32.76.06.1002"
