"""Intake asks the other services about a reporter through one HTTP client that lives as long
as the app: its questions share a kept-alive connection instead of opening a session (and a
connection) each, and the connection closes when intake shuts down. A service too slow or
failing still stops the answer. A stand-in status on loopback (a real uvicorn server) counts
the connections it holds."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator

import pytest
import uvicorn
from fastapi import FastAPI, Request

from sigap_intake.privacy.elsewhere import open_held_elsewhere
from sigap_intake.privacy.rules import PrivacyRequestError
from tests.integration.intake.conftest import running_intake
from tests.support.infra import free_port

pytestmark = pytest.mark.integration


def _stand_in_status(seen_ports: list[int]) -> FastAPI:
    app = FastAPI()

    @app.get("/internal/v1/personal-data/complaints/{complaint_id}")
    async def held(complaint_id: uuid.UUID, request: Request) -> dict:
        seen_ports.append(request.client.port)
        return {"complaint_id": str(complaint_id), "reporter_pseudonym": "Pelapor-ABC"}

    @app.get("/slow/internal/v1/personal-data/complaints/{complaint_id}")
    async def slow(complaint_id: uuid.UUID) -> dict:
        await asyncio.sleep(5)
        return {}

    @app.get("/failing/internal/v1/personal-data/complaints/{complaint_id}")
    async def failing(complaint_id: uuid.UUID) -> dict:
        raise RuntimeError("status is broken")

    @app.post("/internal/v1/personal-data/complaints/{complaint_id}/erase")
    async def erase(complaint_id: uuid.UUID, request: Request) -> dict:
        seen_ports.append(request.client.port)
        return {"erased": True}

    return app


@contextlib.asynccontextmanager
async def _serving(app: FastAPI, port: int) -> AsyncIterator[uvicorn.Server]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not task.done(), "the stand-in stopped before it started"
            await asyncio.sleep(0.05)
        yield server
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


async def _eventually_no_connection(server: uvicorn.Server, *, within_s: float = 10) -> None:
    deadline = time.monotonic() + within_s
    while server.server_state.connections:
        assert time.monotonic() < deadline, "intake kept its connection to status open after shutting down"
        await asyncio.sleep(0.05)


async def test_questions_to_the_other_services_share_one_connection_closed_at_shutdown(infra, databases, tmp_path):
    seen_ports: list[int] = []
    port = free_port()
    async with _serving(_stand_in_status(seen_ports), port) as status:
        async with running_intake(
            infra, databases, tmp_path / "photos", status_internal_url=f"http://127.0.0.1:{port}"
        ) as intake:
            elsewhere = intake.context.held_elsewhere
            complaint_id = uuid.uuid4()
            for _ in range(2):
                held = await elsewhere.about(complaint_id)
                assert held["status"]["reporter_pseudonym"] == "Pelapor-ABC"
            assert (await elsewhere.erase_elsewhere(complaint_id))["status"] == {"erased": True}
            assert len(seen_ports) == 3 and len(set(seen_ports)) == 1, seen_ports
            # Kept alive between requests, for the next question.
            assert len(status.server_state.connections) == 1
        await _eventually_no_connection(status)


async def test_a_slow_or_failing_service_stops_the_answer_within_the_timeout():
    port = free_port()
    async with _serving(_stand_in_status([]), port):
        for path, within_s in (("slow", 2.0), ("failing", 5.0)):
            async with open_held_elsewhere(
                services={"status": f"http://127.0.0.1:{port}/{path}"}, token="t" * 32, timeout_s=0.5
            ) as elsewhere:
                started = time.monotonic()
                with pytest.raises(PrivacyRequestError) as refused:
                    await elsewhere.about(uuid.uuid4())
                assert refused.value.code == "privacy-export-incomplete"
                assert "status" in refused.value.message.id
                assert time.monotonic() - started < within_s
