"""Where a webhook may go (SSRF rules), checked when an endpoint is saved and again at delivery.

A URL must be http or https with a host, no user info, at most 2048 characters and a port in
range. Its host must resolve, and every address it resolves to must be a public one: a name
that also resolves to 10.0.0.5 could be answered either way at connect time. Loopback,
private, unique-local, CGNAT, unspecified, multicast and reserved addresses are refused unless
WEBHOOK_ALLOW_PRIVATE_NETWORKS is set (a self-hosted LAN, tests); link-local ones
(169.254.0.0/16 and fe80::/10, where cloud metadata services answer) always, also when written
inside IPv6 (::ffff:169.254.169.254, NAT64, 6to4).

The answer pins the address: the worker connects to `Target.address` and sends the host as the
Host header and TLS server name, so DNS cannot change between this check and the connection.
"""

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2048
RESOLVE_TIMEOUT_SECONDS = 5.0
SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refusal(StrEnum):
    """TargetRefused's reason codes."""

    INVALID_URL = "invalid_url"
    UNRESOLVABLE = "unresolvable"
    PRIVATE_ADDRESS = "private_address"
    LINK_LOCAL_ADDRESS = "link_local_address"


class TargetRefused(Exception):
    def __init__(self, reason_code: Refusal, detail: str) -> None:
        super().__init__(detail)
        self.reason_code = reason_code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Target:
    scheme: str
    host: str  # as the URL names it (no brackets): the Host header and the TLS server name
    port: int
    path: str  # path and query, "/" at least
    address: str  # the IP address to connect to

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


_LINK_LOCAL = tuple(ipaddress.ip_network(net) for net in ("169.254.0.0/16", "fe80::/10"))
# Not link-local, and not public either: what each range is, as a refusal names it. IPv4
# special-purpose ranges from the IANA registry (RFC 6890); IPv6 is checked as global unicast
# (2000::/3) less its special ranges, and anything else is reserved.
_NOT_PUBLIC = tuple(
    (ipaddress.ip_network(net), kind)
    for net, kind in (
        ("0.0.0.0/8", "unspecified"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "shared (CGNAT)"),
        ("127.0.0.0/8", "loopback"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "reserved"),
        ("192.0.2.0/24", "reserved (documentation)"),
        ("192.88.99.0/24", "reserved"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "reserved (benchmarking)"),
        ("198.51.100.0/24", "reserved (documentation)"),
        ("203.0.113.0/24", "reserved (documentation)"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("64:ff9b:1::/48", "private (local NAT64)"),
        ("100::/64", "reserved (discard)"),
        ("2001::/23", "reserved"),
        ("2001:db8::/32", "reserved (documentation)"),
        ("fc00::/7", "unique-local"),
        ("fec0::/10", "private (site-local)"),
        ("ff00::/8", "multicast"),
    )
)
_GLOBAL_UNICAST_V6 = ipaddress.ip_network("2000::/3")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def check_url_form(url: str) -> str | None:
    """Why `url` cannot be a webhook target by its form alone, or None when it can."""
    if len(url) > MAX_URL_LENGTH:
        return f"is longer than {MAX_URL_LENGTH} characters"
    if any(character <= " " or character == "\x7f" for character in url):
        return "contains a blank or a control character"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:  # a bad port or IPv6 literal
        return f"is not a valid URL ({error})"
    if parts.scheme.lower() not in SCHEMES:
        return "must be an http or https URL"
    if "@" in parts.netloc:
        return "must not carry a user name or password"
    if not parts.hostname:
        return "must name a host"
    if port == 0:
        return "must have a port from 1 to 65535"
    return None


def classify(address: IPAddress) -> tuple[Refusal, str] | None:
    """Why a delivery may not connect to `address` (whether private ones are allowed or not),
    or None for a public address."""
    for embedded in _embedded_ipv4(address):
        found = classify(embedded)
        if found is not None:
            return found
    if any(address in network for network in _LINK_LOCAL if network.version == address.version):
        return Refusal.LINK_LOCAL_ADDRESS, "link-local"
    for network, kind in _NOT_PUBLIC:
        if network.version == address.version and address in network:
            return Refusal.PRIVATE_ADDRESS, kind
    if address.version == 6 and address not in _GLOBAL_UNICAST_V6 and address not in _NAT64:
        return Refusal.PRIVATE_ADDRESS, "reserved"
    return None


def _embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 address an IPv6 one carries and reaches (mapped, NAT64, 6to4)."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address in _NAT64:
        return [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    if address.sixtofour is not None:
        return [address.sixtofour]
    return []


async def lookup(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to, in the resolver's order (tests replace this)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def resolve_target(url: str, *, allow_private: bool) -> Target:
    """Where to deliver `url`: its parts and the first of its addresses. Raises TargetRefused
    when the URL is malformed, its host does not resolve, or any address is refused."""
    problem = check_url_form(url)
    if problem is not None:
        raise TargetRefused(Refusal.INVALID_URL, f"{url[:100]!r} {problem}")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    # A fully qualified name's final dot is not part of the Host header or the TLS server name.
    host = (parts.hostname or "").rstrip(".")
    port = parts.port or DEFAULT_PORTS[scheme]
    addresses = await _addresses(host, port)
    for address in addresses:
        refused = classify(address)
        if refused is None:
            continue
        reason, kind = refused
        if reason is Refusal.LINK_LOCAL_ADDRESS:
            raise TargetRefused(
                reason,
                f"resolves to a link-local address ({_shown(address)}), where cloud metadata lives; never allowed",
            )
        if not allow_private:
            raise TargetRefused(
                reason,
                f"resolves to a private or loopback address ({_shown(address)}, {kind}); "
                "set WEBHOOK_ALLOW_PRIVATE_NETWORKS=true to allow",
            )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme=scheme, host=host, port=port, path=path, address=str(addresses[0]))


def _shown(address: IPAddress) -> str:
    # An IPv4-mapped address as `::ffff:10.0.0.7` on every Python (3.13 changed its str()).
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return f"::ffff:{address.ipv4_mapped}"
    return str(address)


def _is_ip_literal(host: str | None) -> bool:
    try:
        ipaddress.ip_address(host or "")
    except ValueError:
        return False
    return True


async def _addresses(host: str, port: int) -> list[IPAddress]:
    if _is_ip_literal(host):
        return [ipaddress.ip_address(host)]
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT_SECONDS):
            found = await lookup(host, port)
    except TimeoutError:
        raise TargetRefused(
            Refusal.UNRESOLVABLE, f"{host} did not resolve within {RESOLVE_TIMEOUT_SECONDS:g} s"
        ) from None
    except (OSError, UnicodeError) as error:  # socket.gaierror is an OSError
        raise TargetRefused(Refusal.UNRESOLVABLE, f"{host} does not resolve ({error})") from None
    # A scoped IPv6 answer ("fe80::1%eth0") is still its address.
    addresses = [ipaddress.ip_address(text.split("%", 1)[0]) for text in found]
    if not addresses:
        raise TargetRefused(Refusal.UNRESOLVABLE, f"{host} resolves to no address")
    return addresses
