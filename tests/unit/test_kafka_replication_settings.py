"""The replication of the topics Sigap creates comes from settings: one copy for the local
single broker unless told otherwise, and never more copies required in sync than exist."""

from __future__ import annotations

import pydantic
import pytest

from sigap_shared.settings import ServiceSettings


def test_a_single_copy_by_default(monkeypatch):
    for name in ("SIGAP_KAFKA_REPLICATION_FACTOR", "SIGAP_KAFKA_MIN_INSYNC_REPLICAS"):
        monkeypatch.delenv(name, raising=False)
    settings = ServiceSettings()
    assert (settings.kafka_replication_factor, settings.kafka_min_insync_replicas) == (1, 1)


def test_the_production_layout_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("SIGAP_KAFKA_REPLICATION_FACTOR", "3")
    monkeypatch.setenv("SIGAP_KAFKA_MIN_INSYNC_REPLICAS", "2")
    settings = ServiceSettings()
    assert (settings.kafka_replication_factor, settings.kafka_min_insync_replicas) == (3, 2)


@pytest.mark.parametrize(("copies", "in_sync"), [(1, 2), (3, 4), (0, 1), (3, 0)])
def test_layouts_under_which_no_record_could_be_acknowledged_are_refused(copies, in_sync):
    with pytest.raises(pydantic.ValidationError):
        ServiceSettings(kafka_replication_factor=copies, kafka_min_insync_replicas=in_sync)
