"""The logging pipeline, run in a child process so its one-per-process configuration cannot
leak into other tests: JSON lines with the service and bound context, third-party loggers
through the same pipeline, and lines below the level dropped."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import orjson

SCRIPT = textwrap.dedent(
    """
    import logging
    import structlog
    from sigap_shared.logging import configure_logging

    configure_logging(service="intake", fmt="json", level="{level}")
    log = structlog.get_logger("sigap_intake.api")
    with structlog.contextvars.bound_contextvars(complaint_id="c-1"):
        log.info("complaint_submitted", photos=2)
        log.warning("photo_suspicious", reason="no_exif")
    logging.getLogger("uvicorn.error").warning("server busy")
    def seal(identity):
        raise ValueError("cannot seal")
    try:
        seal({{"name": "Siti Rahmawati", "phone": "0812-5555-0101"}})
    except ValueError:
        log.exception("identity_sealing_failed")
    """
)


def _lines(level: str) -> list[dict]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(level=level)], capture_output=True, text=True, check=True, timeout=60
    )
    return [orjson.loads(line) for line in done.stderr.splitlines() if line.strip()]


def test_json_lines_carry_service_level_logger_and_bound_context() -> None:
    lines = _lines("INFO")
    assert [line["event"] for line in lines] == [
        "complaint_submitted",
        "photo_suspicious",
        "server busy",
        "identity_sealing_failed",
    ]
    first = lines[0]
    assert (first["service"], first["level"], first["logger"], first["complaint_id"], first["photos"]) == (
        "intake",
        "info",
        "sigap_intake.api",
        "c-1",
        2,
    )
    assert lines[2]["logger"] == "uvicorn.error" and lines[2]["service"] == "intake"
    assert all(line["timestamp"].endswith("Z") for line in lines)


def test_a_logged_exception_keeps_its_frames_but_never_their_local_variables() -> None:
    [failure] = [line for line in _lines("INFO") if line["event"] == "identity_sealing_failed"]
    [exception] = failure["exception"]
    assert exception["exc_type"] == "ValueError" and exception["frames"][-1]["name"] == "seal"
    text = orjson.dumps(failure).decode()
    assert "Siti" not in text and "0812" not in text and "locals" not in text


def test_lines_below_the_level_are_dropped() -> None:
    lines = _lines("WARNING")
    assert [(line["event"], line["level"]) for line in lines] == [
        ("photo_suspicious", "warning"),
        ("server busy", "warning"),
        ("identity_sealing_failed", "error"),
    ]
