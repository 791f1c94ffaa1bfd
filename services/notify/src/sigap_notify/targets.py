"""Where a department's webhook or a reporter's push endpoint may point: a full https:// URL
(http:// only where the operator allows it) whose host is a public address, or an allowed
network. Notify must not be made to call its own neighbourhood."""

from __future__ import annotations

from sigap_notify.egress import Egress, RefusedAddress, UnresolvableHost
from sigap_notify.errors import NotifyError
from sigap_shared.errors import Text


def acceptable_webhook_url(url: str, *, allow_http: bool) -> bool:
    schemes = ("https://", "http://") if allow_http else ("https://",)
    if not url.startswith(schemes) or any(ch.isspace() for ch in url):
        return False
    host = url.split("://", 1)[1].split("/", 1)[0]
    return bool(host) and "@" not in host


async def check_target(egress: Egress, url: str, *, field: str) -> None:
    """Refuse (`delivery-target-refused`, `host-unresolvable`, about `field`) a URL whose host
    is not, or does not resolve to, an address notify may send to."""
    try:
        await egress.check_url(url)
    except RefusedAddress as refused:
        raise NotifyError(
            "delivery-target-refused",
            Text(
                id=f"{refused.host} mengarah ke {refused.address}, alamat {refused.kind}. Sigap hanya mengirim ke "
                "alamat publik; jaringan lain harus diizinkan operator lewat SIGAP_WEBHOOK_ALLOWED_NETWORKS.",
                en=f"{refused}. Sigap only sends to public addresses; an operator may allow other networks "
                "with SIGAP_WEBHOOK_ALLOWED_NETWORKS.",
            ),
            field=field,
            field_message=Text(
                id=f"alamat {refused.kind} tidak diizinkan", en=f"a {refused.kind} address is not allowed"
            ),
        ) from None
    except UnresolvableHost as unresolvable:
        raise NotifyError(
            "host-unresolvable",
            Text(
                id=f"Nama host {unresolvable} tidak dapat ditemukan di DNS saat ini. Periksa penulisannya.",
                en=f"The host name {unresolvable} cannot be found in DNS right now. Check its spelling.",
            ),
            field=field,
            field_message=Text(id="nama host tidak dikenal", en="the host name does not resolve"),
        ) from None
