"""The README's architecture diagram names every topic of the event contract, with the
event types that travel on it, so the picture cannot silently fall behind the code."""

from __future__ import annotations

import re
from pathlib import Path

from sigap_shared.events import EVENT_TYPES, all_topics

README = Path(__file__).resolve().parents[2] / "README.md"


def _diagram() -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Architecture") : text.index("### How events travel")]
    return section[section.index("```") : section.index("```", section.index("```") + 3)]


def test_every_topic_has_its_producer_line_in_the_architecture_diagram() -> None:
    diagram = _diagram()
    produced = set(re.findall(r"^\s+\w[\w ]*──► (sigap\.[\w.<>]+)", diagram, flags=re.MULTILINE))
    assert set(all_topics()) <= produced, set(all_topics()) - produced
    assert "sigap.department.<CODE>" in produced


def test_every_event_type_is_named_on_its_topics_line() -> None:
    lines = {match[0]: match[1] for match in re.findall(r"──► (sigap\.[\w.]+)\s+──►(.*)", _diagram())}
    for event_type, model in EVENT_TYPES.items():
        if model.topic in ("sigap.complaint.submitted", "sigap.complaint.sla"):
            continue  # one event type each: the topic names it
        # e.g. sigap.complaint.routed.v1 -> "routed", sigap.complaint.support_added.v1 -> "support added"
        words = event_type.split(".")[2].replace("_", " ")
        assert words.split()[0] in lines[model.topic], (event_type, lines[model.topic])
