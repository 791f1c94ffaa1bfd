"""The lifecycle operations as the API documentation describes them, written from the rules
(`TRANSITIONS`, `PERMITTED`) so the description cannot drift from them, and the roles that may
change a complaint at all (the routes' gates)."""

from __future__ import annotations

from sigap_shared.auth import Role
from sigap_status.lifecycle.rules import PERMITTED, REJECTION_REASONS, ROLES_IN_ORDER

# The staff roles that may change some complaint's lifecycle (auditors only read).
ACTING_ROLES: tuple[Role, ...] = tuple(
    role
    for role in ("city_admin", "dept_admin", "field_officer")
    if any(role in actors for actors in PERMITTED.values())
)


def describe_transitions() -> str:
    """`POST /v1/complaints/{id}/transitions`: every permitted move and who may make it."""
    lines = [
        "Moves a complaint from its current status to `to`. Send the `version` you read as "
        "`expected_version` (409 `stale-version` when someone changed it meanwhile).",
        "",
        "| from | to | who |",
        "| --- | --- | --- |",
    ]
    for (current, wanted), actors in PERMITTED.items():
        who = ", ".join(f"`{actor}`" for actor in ROLES_IN_ORDER if actor in actors and actor != "reporter")
        lines.append(f"| `{current}` | `{wanted}` | {who} |")
    lines += [
        "",
        "`ditolak` needs a `reason` (" + ", ".join(f"`{reason}`" for reason in REJECTION_REASONS) + "; "
        "`duplicate` also `duplicate_of`). `selesai` needs a `resolution_note` and at least one "
        "`after_photo_ids` entry whose photo intake verified as taken live with the camera "
        "(`verified_live`, within the capture window). `dibuka_kembali` needs a `reason`. "
        "The reporter reopens through intake's `POST /v1/track/{code}/reopen`, not here.",
        "",
        "Scope: a department's admins and field officers act on complaints their department leads "
        "(a field officer only on those assigned to them); the city admin on any. A complaint the "
        "caller may not see answers 404, as an unknown one. `allowed_transitions` in the answer "
        "lists what the caller may do next.",
    ]
    return "\n".join(lines)


ASSIGNMENT_DESCRIPTION = (
    "Assigns the complaint to an active field officer (`officer`) of its lead department, reassigns "
    "it, or with `officer: null` unassigns it, in any status. `expected_version` as for transitions. "
    "A department admin assigns within their own department's complaints; the city admin any. "
    "The assigned officer then sees the complaint in `GET /v1/staff/tasks` and may move it "
    "`terverifikasi` → `dalam_proses` → `selesai`."
)
