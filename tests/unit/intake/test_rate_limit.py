"""The token bucket behind intake's 429s, on a fake clock."""

from __future__ import annotations

from sigap_intake.rate_limit import RateLimiter, retry_after_header


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_refill_at_the_rate():
    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=3, clock=clock)
    assert [limiter.acquire("phone-a") for _ in range(3)] == [0, 0, 0]
    wait = limiter.acquire("phone-a")
    assert 0.9 <= wait <= 1.0 and retry_after_header(wait) == "1"
    assert limiter.acquire("phone-b") == 0  # each device has its own bucket
    clock.now += 1.0
    assert limiter.acquire("phone-a") == 0
    assert limiter.acquire("phone-a") > 0


def test_disabled_limiter_never_waits_and_old_keys_are_forgotten():
    assert RateLimiter(per_minute=0, burst=1).acquire("x") == 0
    clock = Clock()
    limiter = RateLimiter(per_minute=1, burst=1, max_keys=2, clock=clock)
    limiter.acquire("a")
    limiter.acquire("b")
    limiter.acquire("c")
    assert limiter.acquire("a") == 0  # "a" was evicted, so it starts with a full bucket
    assert limiter.acquire("c") > 0
