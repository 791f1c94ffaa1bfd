"""The AsyncAPI 3 document of Sigap's Kafka topics, generated at run time from the event
registry in `sigap_shared.events` (pydantic models -> JSON Schema), so it cannot drift from
the code. Served at `GET /asyncapi.json`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic.json_schema import models_json_schema

from sigap_notify.events.audience import DEPARTMENT_EVENT_TYPES, DEPARTMENT_TOPIC_PREFIX
from sigap_shared.events import (
    EVENT_TYPES,
    SPEC_VERSION,
    TOPIC_DEAD_LETTER,
    DeadLetter,
)

ASYNCAPI_VERSION = "3.0.0"
DEPARTMENT_CHANNEL = "departmentEvents"
router = APIRouter(tags=["asyncapi"])


def _cloudevents_headers(event_type: str) -> dict[str, Any]:
    string = {"type": "string"}
    return {
        "type": "object",
        "description": "CloudEvents 1.0, Kafka protocol binding, binary content mode.",
        "required": ["ce_specversion", "ce_id", "ce_source", "ce_type"],
        "properties": {
            "ce_specversion": {"type": "string", "const": SPEC_VERSION},
            "ce_id": {"type": "string", "format": "uuid"},
            "ce_source": string,
            "ce_type": {"type": "string", "const": event_type},
            "ce_time": {"type": "string", "format": "date-time"},
            "ce_subject": {"type": "string", "format": "uuid", "description": "The complaint id."},
            "ce_correlationid": string,
            "content-type": {"type": "string", "const": "application/json"},
        },
    }


def _message_name(event_type: str) -> str:
    return "".join(part.capitalize() for part in event_type.replace("_", ".").split("."))


def _channel_id(topic: str) -> str:
    return "".join(part.capitalize() if i else part for i, part in enumerate(topic.replace("_", ".").split(".")))


def build_document(*, kafka_bootstrap: str = "127.0.0.1:9092") -> dict[str, Any]:
    """`kafka_bootstrap`: the brokers the service is configured with (SIGAP_KAFKA_BOOTSTRAP),
    named as the document's servers."""
    models = [(model, "serialization") for model in EVENT_TYPES.values()] + [(DeadLetter, "serialization")]
    refs, definitions = models_json_schema(models, ref_template="#/components/schemas/{model}")
    schemas: dict[str, Any] = definitions.get("$defs", {})

    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}

    def add_message(name: str, event_type: str, payload_ref: dict[str, Any], description: str) -> None:
        messages[name] = {
            "name": name,
            "title": event_type,
            "summary": description,
            "contentType": "application/json",
            "headers": _cloudevents_headers(event_type),
            "payload": payload_ref,
            "bindings": {"kafka": {"key": {"type": "string", "format": "uuid", "description": "Complaint id."}}},
        }

    by_topic: dict[str, list[str]] = {}
    for event_type, model in EVENT_TYPES.items():
        name = _message_name(event_type)
        summary = (model.__doc__ or event_type).strip().splitlines()[0]
        add_message(name, event_type, refs[(model, "serialization")], summary)
        by_topic.setdefault(model.topic, []).append(name)
    dead_letter_name = _message_name(DeadLetter.event_type)
    add_message(
        dead_letter_name,
        DeadLetter.event_type,
        refs[(DeadLetter, "serialization")],
        "A message a consumer could not handle, with why.",
    )
    by_topic.setdefault(TOPIC_DEAD_LETTER, []).append(dead_letter_name)

    for topic, names in sorted(by_topic.items()):
        channel_id = _channel_id(topic)
        channels[channel_id] = {
            "address": topic,
            "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in names},
        }
        operations[f"publish{channel_id[0].upper()}{channel_id[1:]}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "messages": [{"$ref": f"#/channels/{channel_id}/messages/{name}"} for name in names],
        }

    department_names = [_message_name(event_type) for event_type in DEPARTMENT_EVENT_TYPES]
    channels[DEPARTMENT_CHANNEL] = {
        "address": DEPARTMENT_TOPIC_PREFIX + "{department}",
        "description": (
            "One topic per department carrying only the events of complaints it leads or supports (joint "
            "handling), redacted: `reporter` is always null. Same CloudEvents binary format and ids as the "
            "source topics. Published by notify."
        ),
        "parameters": {"department": {"description": "Department code, e.g. DISHUB, DPUPR, or TRIAGE."}},
        "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in department_names},
    }
    operations["publishDepartmentEvents"] = {
        "action": "send",
        "channel": {"$ref": f"#/channels/{DEPARTMENT_CHANNEL}"},
        "messages": [{"$ref": f"#/channels/{DEPARTMENT_CHANNEL}/messages/{name}"} for name in department_names],
    }

    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Sigap events",
            "version": "1.0.0",
            "description": (
                "Every Kafka topic of Sigap (Kota Depok's complaint system) and its event payloads. "
                "Messages are CloudEvents 1.0 in binary content mode, keyed by complaint id. "
                "Generated from the pydantic models in sigap_shared.events."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "kafka" if index == 0 else f"kafka-{index + 1}": {
                "host": host,
                "protocol": "kafka",
                "description": "A broker of Sigap's Kafka cluster (SIGAP_KAFKA_BOOTSTRAP)",
            }
            for index, host in enumerate(host.strip() for host in kafka_bootstrap.split(",") if host.strip())
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


@router.get("/asyncapi.json", summary="AsyncAPI 3 document of every topic and event payload")
async def asyncapi_document(request: Request) -> dict[str, Any]:
    return build_document(kafka_bootstrap=request.app.state.settings.kafka_bootstrap)
