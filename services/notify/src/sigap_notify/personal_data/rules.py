"""Which texts a reporter's erasure blanks at notify (UU 27/2022), and what a message shows in
their place. Pure, no I/O.

A message's free texts may name or quote the reporter, whoever it went to: what the reporter
wrote (added information, a rating's comment, a reopen's reason), a department's message to
them, a status change's note, reason or resolution note, a transfer's or joint handling's
reason. They are kept in `notifications.params` (the template's inputs; a webhook's params hold
the whole event), in parked events and in the outbox's department copies. The erasure empties
them there; codes (a rejection's reason, the auto-close), statuses, the tracking code, the
department and times stay."""

from __future__ import annotations

from typing import Any

from sigap_shared import erasure
from sigap_shared.errors import Text

# Event fields (`sigap_shared.erasure.FREE_TEXT_FIELDS`, the same as status's erasure blanks)
# and the template inputs planned from them (`message` is a department message's body).
FREE_TEXT_KEYS = erasure.FREE_TEXT_FIELDS | {"message"}

# Where a webhook delivery keeps the event it carries (`planning.fan_outs`).
CLOUDEVENT_PARAM = "cloudevent"

# What a message shows where an erased text was (an empty text is only ever an erased one:
# every text a citizen or staff writes has visible letters).
ERASED_TEXT = Text(
    id="(teks dihapus bersama data pribadi pelapor)",
    en="(text removed with the reporter's personal data)",
)


def without_free_text(data: dict[str, Any]) -> dict[str, Any]:
    """An event's data, or a notification's params, with its free texts emptied (""): an empty
    text still fits every event's schema (a transfer's reason is required). A webhook's params
    lose the free texts of the event they carry."""
    blanked = erasure.without_free_text(data, fields=FREE_TEXT_KEYS)
    cloudevent = data.get(CLOUDEVENT_PARAM)
    if isinstance(cloudevent, dict) and isinstance(cloudevent.get("data"), dict):
        blanked[CLOUDEVENT_PARAM] = cloudevent | {"data": without_free_text(cloudevent["data"])}
    return blanked
