"""Where notify may send what a department or a reporter asked for (webhook URLs, web push
endpoints): the public internet only. Loopback, link-local, private and every other
special-purpose address is refused when the URL is registered and again at each delivery, on
the address actually connected to: the resolver checks what it returns and the connection
goes to that checked address (the TLS server name and Host header stay the URL's), so a DNS
answer that changed in between cannot slip through. An operator may allow networks with
`SIGAP_WEBHOOK_ALLOWED_NETWORKS` (e.g. a city intranet, or loopback in tests)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver
from yarl import URL

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class RefusedAddress(Exception):
    """The host is, or resolves to, an address notify must not send to."""

    def __init__(self, host: str, address: str, kind: str) -> None:
        if host.strip("[]") == address:
            message = f"{address} is a {kind} address"
        else:
            message = f"{host} resolves to {address}, a {kind} address"
        super().__init__(message)
        self.host = host
        self.address = address
        self.kind = kind


class UnresolvableHost(Exception):
    """The host name has no address (now)."""


def address_kind(address: IPAddress) -> str | None:
    """Why `address` is not a public one (`loopback`, `link-local`, `private`, …), or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address_kind(address.ipv4_mapped) or "IPv4-mapped"
    for kind, flag in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
    ):
        if flag:
            return kind
    # Shared (carrier-grade NAT), documentation and benchmarking ranges and the like.
    return None if address.is_global else "special-purpose"


@dataclass(frozen=True)
class EgressPolicy:
    allowed: tuple[IPNetwork, ...] = ()

    def refusal(self, address: str) -> str | None:
        """The kind of a refused address (see `address_kind`); None when notify may send there."""
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone id is not part of it
        if any(ip in network for network in self.allowed):
            return None
        return address_kind(ip)

    def check(self, host: str, addresses: Sequence[str]) -> None:
        """Raise `RefusedAddress` if any of the host's addresses is refused: a name with one
        internal address among public ones is not safer."""
        for address in addresses:
            kind = self.refusal(address)
            if kind is not None:
                raise RefusedAddress(host, address, kind)


class GuardedResolver(AbstractResolver):
    """Resolves with `inner` and returns the addresses only if the policy allows every one;
    aiohttp then connects to exactly these addresses."""

    def __init__(self, policy: EgressPolicy, inner: AbstractResolver) -> None:
        self._policy = policy
        self._inner = inner

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        self._policy.check(host, [result["host"] for result in results])
        return results

    async def close(self) -> None:
        await self._inner.close()


def _literal(host: str) -> IPAddress | None:
    """The address a host names literally: an IP address, or one of the legacy IPv4 spellings
    the system resolver accepts too (`2130706433`, `127.1`, `0x7f.0.0.1`)."""
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if host and all(char in "0123456789abcdefxABCDEFX." for char in host) and host[0].isdigit():
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


class Egress:
    """The policy, the DNS it checks (replaceable, e.g. by tests) and the HTTP session whose
    connections go only where the policy allows."""

    LOOKUP_TIMEOUT_S = 5.0

    def __init__(
        self, policy: EgressPolicy, *, timeout_s: float, limit: int, dns: AbstractResolver | None = None
    ) -> None:
        self.policy = policy
        self._dns = dns or ThreadedResolver()
        self.session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=timeout_s),
            connector=aiohttp.TCPConnector(limit=limit, resolver=GuardedResolver(policy, self._dns)),
        )

    def check_literal(self, url: str) -> None:
        """Raise `RefusedAddress` if `url`'s host is a literal address the policy refuses
        (aiohttp connects to a literal without asking the resolver), or a name reserved for
        loopback (`localhost`, RFC 6761), whatever a resolver would answer for it."""
        host = (URL(url).raw_host or "").rstrip(".").lower()
        literal = _literal(host)
        if literal is not None:
            self.policy.check(host, [str(literal)])
        elif host == "localhost" or host.endswith(".localhost"):
            self.policy.check(host, ["127.0.0.1", "::1"])

    async def check_url(self, url: str) -> None:
        """At registration: raise `RefusedAddress` or `UnresolvableHost` unless `url`'s host
        is a public address or a name whose addresses (as DNS answers now) all are."""
        self.check_literal(url)
        parsed = URL(url)
        host = parsed.raw_host or ""
        if _literal(host) is not None:
            return
        try:
            async with asyncio.timeout(self.LOOKUP_TIMEOUT_S):
                results = await self._dns.resolve(host, parsed.port or 0, socket.AF_UNSPEC)
        except (OSError, TimeoutError) as exc:
            raise UnresolvableHost(host) from exc
        if not results:
            raise UnresolvableHost(host)
        self.policy.check(host, [result["host"] for result in results])

    async def close(self) -> None:
        await self.session.close()
        await self._dns.close()
