"""Webhook targets: where a partner may make the registry connect, resolved once and vetted.

A partner must not be able to make the registry POST into its own network (SSRF): every address a
name resolves to must be public, including an IPv4 address carried inside an IPv6 form, and the
delivery connects to the address vetted here, never resolving the name a second time.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

# IPv6 prefixes that carry an IPv4 address in their last 32 bits (NAT64, RFC 6052 and RFC 8215;
# IPv4-compatible, RFC 4291): vetted by the IPv4 address inside.
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("::/96"))
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")


class TargetRefused(Exception):
    """A webhook target the registry will not connect to; the message is safe to show the partner."""


@dataclass(frozen=True)
class Target:
    """Where a delivery connects: the vetted address, with the name kept for Host and TLS."""

    url: str
    host_header: str
    sni_hostname: str | None


def _refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if not address.is_global:
        return "the host is not a public address"
    if isinstance(address, ipaddress.IPv6Address):
        if address in _LOCAL_NAT64:
            return "the host is not a public address"
        inner = [address.ipv4_mapped, address.sixtofour]
        inner += [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF) for net in _NAT64 if address in net]
        if any(v4 is not None and not v4.is_global for v4 in inner):
            return "the host embeds an address that is not public"
    return None


async def resolve_host(host: str) -> list[str]:
    """Every address `host` resolves to (the one place deliveries look a name up)."""
    found = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return [str(info[4][0]).split("%")[0] for info in found]


_NAME = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*")


def host_name(url: str) -> str:
    """The URL's host, checked to be an address or a valid DNS name (IDNA), lower-case ASCII."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    try:
        ascii_name = host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise TargetRefused("the host is not a valid name") from exc
    if not ascii_name or len(ascii_name) > 253 or not _NAME.fullmatch(ascii_name):
        raise TargetRefused("the host is not a valid name")
    return ascii_name


async def vet(url: str, *, private_targets: bool) -> Target:
    """Resolve `url`'s host once and check every address; the delivery connects to the one vetted
    here, so a name re-pointed between the check and the connection (DNS rebinding) gains nothing.
    Raises TargetRefused (a partner-safe reason) or OSError (the name does not resolve now)."""
    parts = urlsplit(url)
    host = host_name(url)
    if not private_targets and (host == "localhost" or host.endswith(".localhost")):
        raise TargetRefused("the host is this machine")
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        addresses = [ipaddress.ip_address(a) for a in await resolve_host(host)]
        if not addresses:
            raise OSError(f"{host} has no address") from None
    if not private_targets:
        for address in addresses:
            if reason := _refusal(address):
                raise TargetRefused(reason)
    chosen = addresses[0]
    literal = f"[{chosen}]" if chosen.version == 6 else str(chosen)
    netloc = literal if parts.port is None else f"{literal}:{parts.port}"
    original = parts.netloc.rsplit("@", 1)[-1]
    return Target(
        url=urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")),
        host_header=original,
        sni_hostname=host if parts.scheme == "https" and chosen.compressed != host else None,
    )
