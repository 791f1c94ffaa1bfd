"""The pure rules of delivering: how long a failed delivery waits, and when staff mail becomes
a digest."""

from __future__ import annotations

from dataclasses import dataclass

from sigap_notify.channels.base import Delivery
from sigap_notify.recipients import DEPARTMENT_PREFIX


def backoff_s(attempts: int, *, base_s: float, cap_s: float) -> float:
    """Exponential backoff after `attempts` failed attempts: base, 2·base, 4·base … ≤ cap."""
    return min(cap_s, base_s * (2 ** max(0, attempts - 1)))


@dataclass(frozen=True, slots=True)
class DigestPolicy:
    """Staff mail of one kind becomes a digest once a recipient got more than `threshold` of
    them within `window_s`: the rest of the window's mails go out together at its end."""

    threshold: int
    window_s: float
    template: str = "staff.new_in_queue"

    def applies_to(self, delivery: Delivery) -> bool:
        return delivery.template == self.template and delivery.recipient.startswith(DEPARTMENT_PREFIX)
