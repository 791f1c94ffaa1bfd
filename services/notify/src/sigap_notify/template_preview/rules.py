"""The placeholders notify fills in some message (with an example value each, for previews),
and what is wrong with a template text: `$` syntax errors (which saving refuses) and names no
message ever fills (which would reach the reader as written). Pure."""

from __future__ import annotations

from sigap_notify.templates.rules import placeholders, template_problems

# Every name the planners and channels put in a message's parameters (events/planning.py, channels/).
EXAMPLE_VALUES: dict[str, str] = {
    "tracking_code": "SGP-7K3M-Q9",
    "department": "DISHUB",
    "from_department": "DPUPR",
    "lead_department": "DPUPR",
    "status": "terverifikasi",
    "reason": "Saluran air milik PDAM, bukan wewenang dinas ini.",
    "resolution_note": "Lampu sudah diganti dan menyala kembali.",
    "message": "Mohon kirim foto lokasi dari arah jalan utama.",
    "officer": "budi.dishub",
    "previous_officer": "siti.dishub",
    "photos": "2",
    "rating": "5",
    "rating_url": "https://sigap.depok.go.id/lacak/SGP-7K3M-Q9/nilai",
    "stage": "finish",
    "due_at": "08-12-2026 00:00 WIB",
    "step": "head_of_department",
    "step_number": "1",
    "working_days_overdue": "2",
    "count": "3",
    "tracking_codes": "SGP-7K3M-Q9, SGP-2B8D-X4, SGP-9QRT-7M",
}


def unknown_placeholders(*texts: str) -> list[str]:
    return sorted(set().union(*(placeholders(text) for text in texts)) - EXAMPLE_VALUES.keys())


def syntax_problems(*texts: str) -> list[str]:
    return [problem for text in texts for problem in template_problems(text)]
