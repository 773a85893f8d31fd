"""The SSRF guard for callback URLs, applied when a run is created and again before every attempt
(DNS can change between the two).

A URL is accepted when it holds no control, formatting or space character, is https (or http to a
loopback address where WEBHOOK_ALLOW_HTTP_LOOPBACK is on: the local stack), has no credentials, and
every address its host resolves to is public:
private, loopback, link-local, reserved, multicast, unspecified and cloud-metadata addresses are
refused unless the host or the IP is listed in WEBHOOK_ALLOWED_HOSTS; loopback ports listed in
WEBHOOK_DENIED_LOCAL_PORTS (the local stack's own endpoints) are refused even then. The delivery
connects to the address validated here (see `Target`), so a second resolution can't swap in another one.
Those three settings are the `UrlGuard`'s values, given by the engine (read once at the edge).
"""

from __future__ import annotations

import ipaddress
import socket
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from agent_runtime.errors import ValidationFailed

if TYPE_CHECKING:
    from agent_runtime.config import Settings

METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
NAT64_PREFIX = ipaddress.IPv6Network("64:ff9b::/96")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# A lookup that doesn't answer in time is a name that doesn't resolve (run creation must answer well
# within API Gateway's 29 s; getaddrinfo has no timeout of its own).
DNS_TIMEOUT_SECONDS = 3.0
_resolver = ThreadPoolExecutor(max_workers=4, thread_name_prefix="webhook-dns")


class UnsafeUrl(ValueError):
    """The URL may not be called; the message says why (safe to show the client)."""


@dataclass(frozen=True)
class Target:
    url: str  # as the client gave it
    scheme: str
    host: str  # for the Host header and TLS (SNI and certificate check)
    port: int
    address: str  # the validated IP to connect to
    path: str  # path and query

    @property
    def connect_url(self) -> str:
        """The URL with the validated IP in place of the host name."""
        ip = ipaddress.ip_address(self.address)
        literal = f"[{ip}]" if ip.version == 6 else str(ip)
        return f"{self.scheme}://{literal}:{self.port}{self.path}"

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries and reaches (IPv4-mapped, 6to4, NAT64 64:ff9b::/96):
    Python calls 2002:a9fe:a9fe:: global, yet it routes to 169.254.169.254."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64_PREFIX:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _loopback(ip: IPAddress) -> bool:
    embedded = _embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    return (embedded or ip).is_loopback


def _forbidden(ip: IPAddress) -> str | None:
    if isinstance(ip, ipaddress.IPv6Address) and (embedded := _embedded_ipv4(ip)) is not None:
        return _forbidden(embedded)
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    for name in ("loopback", "private", "link_local", "multicast", "reserved", "unspecified"):
        if getattr(ip, f"is_{name}"):
            return f"a {name.replace('_', '-')} address"
    if not ip.is_global:
        return "not a public address"
    return None


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    lookup = _resolver.submit(socket.getaddrinfo, host, port, proto=socket.IPPROTO_TCP)
    try:
        infos = lookup.result(timeout=DNS_TIMEOUT_SECONDS)
    except (OSError, UnicodeError, FuturesTimeout) as error:
        raise UnsafeUrl(f"host {host!r} does not resolve") from error
    seen: list[IPAddress] = []
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if ip not in seen:
            seen.append(ip)
    if not seen:
        raise UnsafeUrl(f"host {host!r} does not resolve")
    return seen


# Control characters (NUL, ESC, DEL, CR/LF...), formatting ones (RLO and the other bidi overrides,
# zero-width ones), separators and spaces: no URL has them, HTTP clients refuse them at every attempt,
# and shown back they can rewrite a terminal line or reverse text.
_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"})


def _unprintable(url: str) -> str | None:
    return next((f"U+{ord(c):04X}" for c in url if unicodedata.category(c) in _UNPRINTABLE), None)


@dataclass(frozen=True)
class UrlGuard:
    """The guard with the operator's exceptions: hosts or IPs allowed though private, http to loopback
    (the local stack), and loopback ports refused even so (the local stack's own endpoints)."""

    allowed_hosts: tuple[str, ...] = ()
    allow_http_loopback: bool = False
    denied_local_ports: frozenset[int] = frozenset()

    @classmethod
    def of(cls, config: Settings) -> UrlGuard:
        return cls(
            config.webhook_allowed_hosts,
            config.webhook_allow_http_loopback,
            config.webhook_denied_local_ports,
        )

    def check(self, url: str) -> Target:
        """The target to connect to, or UnsafeUrl saying why the URL may not be called."""
        if (found := _unprintable(url)) is not None:
            raise UnsafeUrl(f"must not contain control, formatting or space characters (found {found})")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as error:
            raise UnsafeUrl("not a valid URL") from error
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").lower()
        if scheme not in {"https", "http"} or not host:
            raise UnsafeUrl("must be an https:// URL")
        if parts.username is not None or parts.password is not None:
            raise UnsafeUrl("must not contain credentials")
        port = port or (443 if scheme == "https" else 80)
        addresses = _resolve(host, port)
        allowed = self.allowed_hosts
        for ip in addresses:
            reason = _forbidden(ip)
            if reason and host not in allowed and str(ip) not in allowed:
                raise UnsafeUrl(f"{host} resolves to {ip}, {reason}")
        if scheme == "http" and not (self.allow_http_loopback and all(ip.is_loopback for ip in addresses)):
            raise UnsafeUrl("must be an https:// URL")
        if port in self.denied_local_ports and any(_loopback(ip) for ip in addresses):
            raise UnsafeUrl(f"{host}:{port} is one of this stack's own endpoints")
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        return Target(url, scheme, host, port, str(addresses[0]), path)

    def validate_callback_url(self, url: str | None, field: str = "callback_url") -> None:
        """At run creation: a 422 naming the field when the URL may not be called."""
        if url is None:
            return
        try:
            self.check(url)
        except UnsafeUrl as error:
            raise ValidationFailed(
                f"{field} is not allowed: {error}", errors=[{"field": field, "message": str(error)}]
            ) from error
