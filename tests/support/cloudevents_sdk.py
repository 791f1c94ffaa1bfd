"""Parses Kafka records with the official CloudEvents Python SDK (both its current `core`
API and the `v1` compatibility API), so our encoder is judged by someone else's parser."""

from __future__ import annotations

from typing import Any

from aiokafka import ConsumerRecord
from cloudevents.core.bindings import kafka as core_kafka
from cloudevents.v1 import kafka as v1_kafka


def parse(headers: dict[str, bytes], key: bytes | None, value: bytes) -> dict[str, Any]:
    event = core_kafka.from_binary_event(core_kafka.KafkaMessage(headers=headers, key=key, value=value))
    legacy = v1_kafka.from_binary(v1_kafka.KafkaMessage(headers=headers, key=key, value=value))
    assert legacy["id"] == event.get_id()
    assert legacy.data == event.get_data()
    return {
        "specversion": event.get_specversion(),
        "id": event.get_id(),
        "source": event.get_source(),
        "type": event.get_type(),
        "subject": event.get_subject(),
        "time": event.get_time(),
        "datacontenttype": event.get_datacontenttype(),
        "data": event.get_data(),
    }


def parse_record(record: ConsumerRecord) -> dict[str, Any]:
    return parse(dict(record.headers), record.key, record.value)
