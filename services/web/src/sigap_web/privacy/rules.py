"""What the officer's pages work out without asking anyone: the deadline in hours, the words a
refusal's legal basis adds to the reason, and the note a counter request is recorded with."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from sigap_web.i18n import Translator

KINDS = ("access", "correction", "restriction", "deletion")
STATES = ("open", "answered", "refused")
# The queue's tabs: what is still to answer, and what was closed either way.
TABS: dict[str, tuple[str, ...]] = {"terbuka": ("open",), "selesai": ("answered", "refused")}
# The legal bases a refusal names (UU 27/2022): Art. 15's exemptions (among them the public
# interest in the complaint's handling) and Art. 33 (the answer would reveal another person's
# data); "other" leaves the officer's own words alone.
REFUSAL_BASES = ("art15", "art33", "other")
# How a request that did not come through the tracking page reached the city, and how the
# identity of the person asking was checked there.
CHANNELS = ("phone", "letter", "walk_in", "email")
VERIFICATIONS = ("ktp_in_person", "call_back", "signed_letter", "other")
# Under this many hours left a request is due soon.
SOON_HOURS = 24


def deadline(t: Translator, due_at: object, *, now: datetime, open_: bool = True) -> dict[str, Any]:
    """The 72-hour deadline as the queue shows it: whole hours left (rounded down) or hours late
    (rounded up), and a tone (ok, soon, late, closed)."""
    due = datetime.fromisoformat(str(due_at))
    seconds = (due - now).total_seconds()
    if not open_:
        return {"text": "", "tone": "closed", "overdue": False, "hours": None}
    if seconds < 0:
        hours = max(1, math.ceil(-seconds / 3600))
        return {"text": t("privacy.deadline.late", n=hours), "tone": "late", "overdue": True, "hours": -hours}
    hours = math.floor(seconds / 3600)
    tone = "soon" if hours < SOON_HOURS else "ok"
    return {"text": t("privacy.deadline.left", n=hours), "tone": tone, "overdue": False, "hours": hours}


def refusal_reason(t: Translator, *, basis: str, reason: str) -> str:
    """The refusal's reason as the reporter and the audit read it: the legal basis first."""
    reason = reason.strip()
    if basis in ("art15", "art33"):
        return f"{t(f'privacy.basis.{basis}.cites')} {reason}"
    return reason


def counter_note(t: Translator, *, channel: str, verification: str, note: str) -> str:
    """The details a counter request is recorded with (sealed at intake): how it came, how the
    identity was checked, and the officer's note."""
    parts = [
        t("privacy.record.note_channel", channel=t(f"privacy.channel.{channel}")),
        t("privacy.record.note_verification", verification=t(f"privacy.verification.{verification}")),
    ]
    if note.strip():
        parts.append(note.strip())
    return " ".join(parts)


def action_words(t: Translator, action: str) -> str:
    """An audit row's action in words ("request_received:access" → "Permintaan diterima: akses")."""
    name, _, kind = action.partition(":")
    key = f"privacy.action.{name}"
    if key not in t.catalogue:
        return action
    return t(key, kind=t(f"privacy.kind.{kind}") if kind in KINDS else kind)
