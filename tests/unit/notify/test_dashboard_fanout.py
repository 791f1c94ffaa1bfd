"""What travels between replicas on the dashboard channel, and how a replica's hub hands it on."""

from __future__ import annotations

import asyncio

from sigap_notify.dashboard.fanout import MAX_PAYLOAD, RESYNC, decode, encode
from sigap_notify.dashboard.hub import DashboardHub, EVERY_DEPARTMENT


def _message(**params) -> dict:
    return {
        "notification_id": 7,
        "event_id": "0b8f6a5e-2f44-4a4e-9a53-5f3f4b0c1d2e",
        "event_type": "sigap.complaint.routed",
        "complaint_id": "a1f1b1e4-4b8c-4a5b-8c38-0c1a7f1d3b11",
        "template": "staff.new_in_queue",
        "params": params,
    }


def test_a_message_goes_whole_and_comes_back_as_it_was():
    message = _message(tracking_code="SGP-AB12-CD", title="Lampu jalan mati")
    assert decode(encode("DISHUB", message)) == ("DISHUB", message)


def test_a_message_too_long_for_notify_goes_without_its_parameters():
    message = _message(title="x" * 10_000)
    payload = encode("DISHUB", message)
    assert len(payload.encode()) <= MAX_PAYLOAD
    key, carried = decode(payload)
    assert key == "DISHUB"
    assert carried["complaint_id"] == message["complaint_id"] and carried["template"] == message["template"]
    assert carried["params"] == {} and carried["params_omitted"] is True


def test_multibyte_text_is_measured_in_bytes():
    message = _message(title="é" * 3_000)  # 3 000 characters, 6 000 bytes, under the limit
    assert decode(encode("DISHUB", message))[1]["params"]["title"] == "é" * 3_000
    longer = _message(title="é" * 4_500)  # 4 500 characters but 9 000 bytes: too long
    assert decode(encode("DISHUB", longer))[1]["params"] == {}


def test_anything_else_on_the_channel_is_ignored():
    for payload in ("", "not json", "[1, 2]", '{"key": 1, "message": {}}', '{"key": "DISHUB"}', '{"key": "A", "message": []}'):
        assert decode(payload) is None


async def test_a_broadcast_reaches_every_stream_once():
    hub = DashboardHub()
    department = hub.subscribe("DISHUB")
    officer = hub.subscribe("DISHUB", "officer:DISHUB:budi")
    city = hub.subscribe(EVERY_DEPARTMENT)
    hub.broadcast(RESYNC)
    assert hub.streams() == 3
    for queue in (department, officer, city):
        assert queue.qsize() == 1 and queue.get_nowait()["template"] == "resync"
    hub.unsubscribe(officer, "DISHUB", "officer:DISHUB:budi")
    assert hub.streams() == 2


async def test_a_full_stream_drops_instead_of_blocking():
    hub = DashboardHub(queue_size=1)
    queue = hub.subscribe("DISHUB")
    hub.publish("DISHUB", _message())
    hub.broadcast(RESYNC)
    assert queue.qsize() == 1 and hub.dropped == 1
    assert isinstance(queue, asyncio.Queue)
