"""Pure rules of data-subject requests: what may be asked, by whom it is answered, when it is
due, and what an answer must carry. No I/O."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from sigap_shared.errors import DomainError, Text

RequestKind = Literal["access", "correction", "restriction", "deletion"]
Proof = Literal["follow_up_token", "staff_verified"]
Decision = Literal["answered", "refused"]

# UU 27/2022 Art. 32 (access) and its like for correction and restriction: 3 x 24 hours.
ANSWER_WITHIN = timedelta(hours=72)
# The city's data protection officer answers; a city admin may record a request that reached
# the city another way (counter, letter) once they checked who is asking.
ANSWERING_ROLE = "dpo"
RECORDING_ROLES = frozenset({"dpo", "city_admin"})
# What happens to a granted request, in the audit's words.
EFFECTS: dict[str, str] = {
    "access": "export_prepared",
    "correction": "identity_corrected",
    "restriction": "processing_restricted",
    "deletion": "personal_data_erased",
}


class PrivacyRequestError(DomainError):
    """A data-subject request or answer its rules refuse."""


def due_at(received_at: datetime) -> datetime:
    return received_at + ANSWER_WITHIN


def is_overdue(*, due: datetime, now: datetime) -> bool:
    return now > due


def check_may_record(actor_role: str) -> None:
    if actor_role not in RECORDING_ROLES:
        raise PrivacyRequestError(
            "privacy-role-refused",
            Text(
                "Hanya petugas pelindungan data (dpo) atau admin kota yang boleh mencatat permintaan ini.",
                "Only the data protection officer (dpo) or a city admin may record this request.",
            ),
        )


def may_answer(actor_role: str) -> bool:
    return actor_role == ANSWERING_ROLE


def answer_refused_for_role() -> PrivacyRequestError:
    return PrivacyRequestError(
        "privacy-role-refused",
        Text(
            "Hanya petugas pelindungan data (dpo) yang boleh menjawab permintaan ini. Percobaan ini dicatat.",
            "Only the data protection officer (dpo) may answer this request. This attempt was logged.",
        ),
    )


def export_refused_for_role() -> PrivacyRequestError:
    return PrivacyRequestError(
        "privacy-role-refused",
        Text(
            "Hanya petugas pelindungan data (dpo) yang boleh mengambil ekspor data pribadi.",
            "Only the data protection officer (dpo) may take a personal-data export.",
        ),
    )


def check_open(state: str) -> None:
    if state != "open":
        raise PrivacyRequestError(
            "privacy-request-closed",
            Text("Permintaan ini sudah dijawab.", "This request has already been answered."),
        )


def check_answer(*, kind: str, decision: Decision, reason: str, corrected_identity: dict | None) -> None:
    """A refusal always says why (Art. 15 exemptions, Art. 33 other people's data); a granted
    correction says what the identity becomes."""
    if decision == "refused" and len(reason.strip()) < 10:
        raise PrivacyRequestError(
            "privacy-reason-required",
            Text(
                "Penolakan harus menyebut alasannya (minimal 10 karakter), misalnya pengecualian Pasal 15 UU PDP.",
                "A refusal must state its reason (at least 10 characters), e.g. an exemption under Art. 15.",
            ),
        )
    if kind == "correction" and decision == "answered" and not corrected_identity:
        raise PrivacyRequestError(
            "privacy-correction-missing",
            Text(
                "Perbaikan data harus menyebut data identitas yang benar (nama, telepon atau email).",
                "A correction must give the corrected identity (name, phone or email).",
            ),
        )


def not_found() -> PrivacyRequestError:
    return PrivacyRequestError(
        "privacy-request-not-found",
        Text("Permintaan data pribadi tidak ditemukan.", "Personal-data request not found."),
    )


def already_erased() -> PrivacyRequestError:
    return PrivacyRequestError(
        "personal-data-erased",
        Text(
            "Data pribadi laporan ini sudah dihapus; tidak ada lagi yang bisa diperbaiki.",
            "This report's personal data has already been erased; nothing is left to correct.",
        ),
    )
