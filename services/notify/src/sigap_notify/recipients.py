"""Who a delivery goes to, named without any address (`department:<CODE>:admins`,
`officer:<CODE>:<username>`, `escalation:<CODE>:<step>`, `reporter:<pseudonym>`, `webhook:<id>`, `desk:<CODE>`), and how an
address is shown once a delivery went there: masked. Pure."""

from __future__ import annotations

import re

REPORTER_PREFIX = "reporter:"
ANONYMOUS_REPORTER_PREFIX = "reporter:anonim:"
# What a reporter's past deliveries are addressed to once their personal data is erased.
ERASED_REPORTER = "reporter:dihapus"
WEBHOOK_PREFIX = "webhook:"
OFFICER_PREFIX = "officer:"
DEPARTMENT_PREFIX = "department:"
ESCALATION_PREFIX = "escalation:"


def officer_recipient(department: str, username: str) -> str:
    """`officer:<DEPT>:<username>`: a field officer of a department (usernames hold no `:`)."""
    return f"{OFFICER_PREFIX}{department}:{username}"


def department_admins(department: str) -> str:
    """`department:<DEPT>:admins`: the admins of a department (its mail and its stream)."""
    return f"{DEPARTMENT_PREFIX}{department}:admins"


def escalation_recipient(department: str, step: str) -> str:
    """`escalation:<DEPT>:<step>`: whoever the city named for that step of the department's
    escalation ladder (table `escalation_contacts`)."""
    return f"{ESCALATION_PREFIX}{department}:{step}"


def mask_address(address: str) -> str:
    """Enough of an address to recognise it in a log, not enough to use it:
    `siti.rahma@example.com` -> `s***@e***.com`, `+6281234567890` -> `+62******7890`,
    a URL keeps only its scheme and host."""
    if "://" in address:
        scheme, _, rest = address.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0].rsplit('@', 1)[-1]}/***"
    if "@" in address:
        local, _, domain = address.rpartition("@")
        host, dot, tld = domain.rpartition(".")
        masked_domain = f"{host[:1]}***{dot}{tld}" if host else f"{tld[:1]}***"
        return f"{local[:1]}***@{masked_domain}"
    digits = address.strip()
    if len(digits) <= 4:
        return "***"
    return digits[:3] + "*" * max(3, len(digits) - 7) + digits[-4:]


_PHONE = re.compile(r"\+?\d[\d\s-]{6,}")


def mask_recipient(recipient: str) -> str:
    """Recipients name departments, pseudonyms and webhook ids; should an address ever slip
    in, it is masked rather than shown."""
    prefix, _, last = recipient.rpartition(":")
    if "@" in last or _PHONE.fullmatch(last):
        return f"{prefix}:{mask_address(last)}" if prefix else mask_address(last)
    return recipient
