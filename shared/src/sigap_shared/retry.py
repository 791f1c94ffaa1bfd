"""One way to wait between retries: exponential backoff that also remembers since when the
work being retried has been unfinished, so readiness can tell a blip from a loop that never
ends (`stuck`)."""

from __future__ import annotations

import time


def overdue(since: float | None, *, after_s: float) -> float | None:
    """Seconds waited since `since` (a `time.monotonic()` reading) when that is `after_s` or
    more, else None (also when nothing is waited for)."""
    if since is None:
        return None
    waited = time.monotonic() - since
    return waited if waited >= after_s else None


class Backoff:
    """Delays that double from `first_s` up to `max_s`, and the clock of one unit of work.

    `begin()` marks work that should finish soon (a send waiting for its ack), `failed()`
    records an error and returns how long to wait before the next attempt, `succeeded()`
    starts over. `stuck()` reports work unfinished for longer than a bound."""

    def __init__(self, *, first_s: float = 0.2, max_s: float = 5.0) -> None:
        self._first_s = first_s
        self._max_s = max_s
        self._next_s = first_s
        self.since: float | None = None
        self.error: str | None = None

    def begin(self) -> None:
        if self.since is None:
            self.since = time.monotonic()

    def failed(self, error: BaseException | str) -> float:
        """Record a failed attempt; the delay to wait before the next one."""
        self.begin()
        self.error = error if isinstance(error, str) else repr(error)
        delay, self._next_s = self._next_s, min(self._next_s * 2, self._max_s)
        return delay

    def succeeded(self) -> None:
        self._next_s = self._first_s
        self.since = None
        self.error = None

    def stuck(self, *, after_s: float) -> str | None:
        """Why the work counts as stuck (unfinished for longer than `after_s`), else None."""
        waited = overdue(self.since, after_s=after_s)
        if waited is None:
            return None
        if self.error is None:
            return f"stuck: waiting for {waited:.0f} s"
        return f"stuck: retrying for {waited:.0f} s: {self.error[:300]}"
