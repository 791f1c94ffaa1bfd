"""Whether a service's background work is moving. Consumers, the dead-letter publisher and the
outbox relay each say why they count as stalled or stuck; `ProgressWatch` asks them, for
`/readyz` and for the log, which gets one line when a check starts failing and one when it
passes again."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog

log = structlog.get_logger(__name__)

Reason = Callable[..., str | None]
"""`reason(after_s=...)`: why something counts as stalled after `after_s` seconds, else None."""


class ProgressWatch:
    def __init__(self, *, after_s: float) -> None:
        self._after_s = after_s
        self._reasons: dict[str, Reason] = {}
        self._failing: set[str] = set()

    def watch(self, check: str, reason: Reason) -> None:
        self._reasons[check] = reason

    def check(self) -> dict[str, str | None]:
        """Each check's reason to fail (None: it passes); logs what changed since last time."""
        reasons = {check: reason(after_s=self._after_s) for check, reason in self._reasons.items()}
        for check, reason in reasons.items():
            if reason is not None and check not in self._failing:
                log.warning("progress_stalled", check=check, reason=reason)
            elif reason is None and check in self._failing:
                log.info("progress_resumed", check=check)
        self._failing = {check for check, reason in reasons.items() if reason is not None}
        return reasons

    async def run(self) -> None:
        """Check regularly, so the log tells even when nobody asks `/readyz`."""
        while True:
            self.check()
            await asyncio.sleep(min(5.0, self._after_s / 2))
