"""The verifiers WEBHOOKS.md gives department systems work on a body signed the way notify signs
it: the shell check (run with bash and the real openssl, on a body file ending in newlines,
which `$(cat body.json)` used to drop) and the Python function."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import orjson
import pytest

from sigap_notify.channels.webhook import sign_webhook
from sigap_notify.events.audience import structured_cloudevent
from tests.support.doc_blocks import REPO, marked_blocks
from tests.support.factories import submitted_envelope

WEBHOOKS = REPO / "services" / "notify" / "WEBHOOKS.md"
SECRET = "rahasia-webhook-dishub-0123456789"


def _signed_body() -> tuple[bytes, int, str]:
    # A body as notify sends it, then one that ends in newlines and holds printf's specials.
    body = orjson.dumps(structured_cloudevent(submitted_envelope())) + b'\n{"note": "100% \\\\ %s"}\n\n'
    timestamp = int(time.time())
    return body, timestamp, sign_webhook(secret=SECRET, timestamp=timestamp, body=body)


def _run_shell_check(tmp_path: Path, body: bytes, timestamp: int, signature: str) -> str:
    (block,) = marked_blocks(WEBHOOKS, "sh")
    (tmp_path / "body.json").write_bytes(body)
    env = {**os.environ, "TIMESTAMP": str(timestamp), "SIGNATURE": signature, "SECRET": SECRET}
    ran = subprocess.run(["bash", "-c", block], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30)
    assert ran.returncode == 0, ran.stderr
    return ran.stdout.strip()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_the_shell_check_accepts_a_signed_body_and_refuses_a_changed_one(tmp_path):
    body, timestamp, signature = _signed_body()
    assert _run_shell_check(tmp_path, body, timestamp, signature) == "valid"
    assert _run_shell_check(tmp_path, body.rstrip(b"\n"), timestamp, signature).startswith("invalid")
    assert _run_shell_check(tmp_path, body, timestamp + 1, signature).startswith("invalid")


def test_the_python_verifier_accepts_a_signed_body_and_refuses_a_changed_one():
    (block,) = marked_blocks(WEBHOOKS, "python")
    namespace: dict[str, object] = {}
    exec(compile(block, str(WEBHOOKS), "exec"), namespace)
    verify = namespace["verify"]
    body, timestamp, signature = _signed_body()
    headers = {"sigap-timestamp": str(timestamp), "sigap-signature": signature, "sigap-event-id": str(uuid.uuid4())}
    assert verify(SECRET, headers, body) is True
    assert verify(SECRET, headers, body.rstrip(b"\n")) is False
    assert verify(SECRET, headers | {"sigap-timestamp": str(timestamp - 3600)}, body) is False
