"""The four services as processes the robustness tests break on purpose: each replica keeps a
fixed port, so one started again after a SIGKILL answers where its clients expect it, and the
verdict every such test gives — nothing acknowledged lost, nothing received or mailed twice —
is written once."""

from __future__ import annotations

import os
import signal
from collections import Counter
from pathlib import Path

from tests.support.infra import Infra, free_port, random_name
from tests.support.load import Load, reporter_email
from tests.support.services import SERVICES, SigapSystem, start_service, wait_ready

# Intake's development token, which status and notify present to its internal API.
INTERNAL_TOKEN = "sigap-development-internal-token-change-me"


class Fleet:
    def __init__(
        self,
        infra: Infra,
        databases: dict[str, str],
        log_dir: Path,
        *,
        smtp_port: int,
        replicas: tuple[str, ...] = ("a",),
        settings: dict[str, str] | None = None,
    ) -> None:
        self.infra = infra
        self.databases = databases
        self.log_dir = log_dir
        self.replicas = replicas
        self.group_prefix = random_name("fleet")
        self.ports = {(name, replica): free_port() for name in SERVICES for replica in replicas}
        self.smtp_port = smtp_port
        self.settings = settings or {}
        self.system = SigapSystem()
        self.generation = 0
        self.logs: list[Path] = []

    def url(self, name: str, replica: str = "a") -> str:
        return f"http://127.0.0.1:{self.ports[(name, replica)]}"

    def _env(self, name: str) -> dict[str, str]:
        env = {
            "SIGAP_LOG_LEVEL": "WARNING",
            "SIGAP_INTERNAL_TOKEN": INTERNAL_TOKEN,
            # As in production: the fleet's topics are its own. With the tests' usual "latest", a
            # consumer (re)started before its group committed an offset for a partition skips
            # what arrived there meanwhile.
            "SIGAP_KAFKA_OFFSET_RESET": "earliest",
        }
        if name in ("routing", "notify"):
            env["SIGAP_STATUS_INTERNAL_URL"] = self.url("status")
        if name in ("status", "notify"):
            env["SIGAP_INTAKE_INTERNAL_URL"] = self.url("intake")
        if name == "notify":
            env |= {
                "SIGAP_SMTP_HOST": "127.0.0.1",
                "SIGAP_SMTP_PORT": str(self.smtp_port),
                "SIGAP_DISPATCHER_POLL_INTERVAL_S": "0.2",
            }
        return env | self.settings

    def start(self, name: str, replica: str = "a") -> None:
        self.generation += 1
        log_dir = self.log_dir / f"{self.generation}-{name}-{replica}"
        log_dir.mkdir(parents=True)
        self.system.services[f"{name}-{replica}"] = start_service(
            name,
            infra=self.infra,
            database=self.databases[name],
            group_prefix=self.group_prefix,
            log_dir=log_dir,
            extra_env=self._env(name),
            port=self.ports[(name, replica)],
        )
        self.logs.append(log_dir / f"{name}.log")

    def start_all(self, timeout_s: float = 120) -> None:
        for name in SERVICES:  # intake first: status and notify call its internal API
            for replica in self.replicas:
                self.start(name, replica)
        wait_ready(self.system, timeout_s=timeout_s)

    def signal(self, name: str, replica: str, signum: signal.Signals) -> None:
        process = self.system.services[f"{name}-{replica}"].process
        os.kill(process.pid, signum)
        if signum == signal.SIGKILL:
            process.wait()

    def kill(self, name: str, replica: str = "a") -> None:
        self.signal(name, replica, signal.SIGKILL)

    def stop(self) -> None:
        """SIGCONT first: a paused process would never stop."""
        for service in self.system.services.values():
            if service.process.poll() is None:
                os.kill(service.process.pid, signal.SIGCONT)
        self.system.stop()

    def dump_logs(self) -> None:
        for path in self.logs:
            if path.exists():
                print(f"----- {path.parent.name} (tail)\n{path.read_text(errors='replace')[-3000:]}")


def assert_nothing_lost_or_doubled(
    load: Load,
    mails: Counter[str],
    stored: set[str],
    received: dict[str, int],
    deliveries: dict[str, list[str]],
    *,
    least_acknowledged: int,
    max_not_sent: int = 10,
) -> list[str]:
    """No 500; every acknowledged complaint stored and received at its department exactly once;
    each reporter mailed "received" at most once, with one delivery row; only deliveries caught
    mid-send by a SIGKILL may end up reported instead of sent: at most `max_not_sent` of them,
    whose ids are returned so a test can check when they were claimed."""
    assert load.statuses[500] == 0, load.statuses
    assert load.statuses[201] >= least_acknowledged, load.statuses  # the load went through
    accepted = set(load.accepted)
    assert accepted <= stored
    assert received == {complaint_id: 1 for complaint_id in accepted}
    for complaint_id, n in load.accepted.items():
        address = reporter_email(n)
        assert mails[address] <= 1, f"{address} got {mails[address]} received emails"
        statuses = deliveries.get(complaint_id, [])
        assert len(statuses) == 1, (complaint_id, statuses)
        if statuses == ["sent"]:
            assert mails[address] == 1
    not_sent = [cid for cid in accepted if deliveries[cid] != ["sent"]]
    assert len(not_sent) <= max_not_sent, not_sent
    return not_sent
