"""The watch over background work: each check's reason, and one log line when a check starts
failing and one when it passes again (not one per probe)."""

from __future__ import annotations

from structlog.testing import capture_logs

from sigap_shared.progress import ProgressWatch


def test_the_log_tells_each_change_once():
    state = {"reason": None}
    watch = ProgressWatch(after_s=5)
    watch.watch("consumer:status.lifecycle", lambda *, after_s: state["reason"])
    with capture_logs() as logs:
        assert watch.check() == {"consumer:status.lifecycle": None}
        state["reason"] = "stalled: lag 12 for 45 s"
        assert watch.check() == {"consumer:status.lifecycle": "stalled: lag 12 for 45 s"}
        watch.check()
        state["reason"] = None
        watch.check()
        watch.check()
    assert [(line["event"], line["check"]) for line in logs] == [
        ("progress_stalled", "consumer:status.lifecycle"),
        ("progress_resumed", "consumer:status.lifecycle"),
    ]
    assert logs[0]["reason"] == "stalled: lag 12 for 45 s"


def test_the_bound_is_passed_to_every_check():
    seen: list[float] = []
    watch = ProgressWatch(after_s=7.5)
    watch.watch("outbox_relay", lambda *, after_s: seen.append(after_s))
    watch.check()
    assert seen == [7.5]
