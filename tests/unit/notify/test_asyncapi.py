"""The AsyncAPI document is generated from the event registry: every registered event type
and every topic must appear, and every reference in it must resolve."""

from __future__ import annotations

from typing import Any

from sigap_notify.asyncapi import DEPARTMENT_CHANNEL, build_document
from sigap_shared.events import EVENT_TYPES, all_topics


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        assert isinstance(node, dict) and part in node, f"unresolved reference {ref}"
        node = node[part]
    return node


def test_document_has_the_asyncapi_3_structure():
    document = build_document()
    assert document["asyncapi"].startswith("3.")
    assert {"title", "version"} <= set(document["info"])
    for channel in document["channels"].values():
        assert isinstance(channel["address"], str) and channel["messages"]
    for operation in document["operations"].values():
        assert operation["action"] in ("send", "receive")
        assert _resolve(document, operation["channel"]["$ref"])
        # AsyncAPI 3: an operation's messages must be messages of its own channel.
        for message in operation["messages"]:
            assert message["$ref"].startswith(operation["channel"]["$ref"] + "/messages/")
    for message in document["components"]["messages"].values():
        assert message["payload"]["$ref"].startswith("#/components/schemas/")
        assert message["headers"]["required"] == ["ce_specversion", "ce_id", "ce_source", "ce_type"]
    for ref in _refs(document):
        _resolve(document, ref)


def test_every_event_type_and_topic_appears():
    document = build_document()
    titles = {message["title"] for message in document["components"]["messages"].values()}
    assert set(EVENT_TYPES) <= titles
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert set(all_topics()) <= addresses
    assert document["channels"][DEPARTMENT_CHANNEL]["address"] == "sigap.department.{department}"
    for event_type, model in EVENT_TYPES.items():
        [message] = [m for m in document["components"]["messages"].values() if m["title"] == event_type]
        schema = _resolve(document, message["payload"]["$ref"])
        assert set(model.model_fields) == set(schema["properties"])
        assert message["headers"]["properties"]["ce_type"]["const"] == event_type


def test_department_channel_lists_every_event_a_department_receives():
    from sigap_notify.asyncapi import DEPARTMENT_EVENT_TYPES
    from sigap_shared.events import ComplaintAssigned, ComplaintReporterMessagePosted, ComplaintSupportAdded

    document = build_document()
    channel = document["channels"][DEPARTMENT_CHANNEL]
    titles = {_resolve(document, ref["$ref"])["title"] for ref in channel["messages"].values()}
    assert titles == set(DEPARTMENT_EVENT_TYPES)
    assert {
        ComplaintAssigned.event_type,
        ComplaintReporterMessagePosted.event_type,
        ComplaintSupportAdded.event_type,
    } <= titles


async def test_the_document_names_the_brokers_the_service_is_configured_with():
    import httpx

    from sigap_notify.bootstrap import create_app
    from sigap_notify.settings import NotifySettings

    app = create_app(NotifySettings(kafka_bootstrap="broker-a.internal:19092, broker-b.internal:19092"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://notify") as client:
        document = (await client.get("/asyncapi.json")).json()
    assert [server["host"] for server in document["servers"].values()] == [
        "broker-a.internal:19092",
        "broker-b.internal:19092",
    ]
    assert "kafka:9092" not in str(document["servers"])
