"""Parsers of access-control input: durations, CIDR lists, origins, scopes.

Every one reads untrusted text and raises only :class:`~.errors.AccessError`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from .errors import AccessError

#: Pinata's resources, without its ``org:`` prefix (``org:files:read`` is accepted too).
SCOPES = ("files:read", "files:write", "groups:read", "groups:write", "gateways:read",
          "gateways:write")
ADMIN = "admin"

_DURATION = re.compile(r"([0-9]{1,12})([smhdw])")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
#: The longest duration accepted anywhere (100 years).
MAX_DURATION = 100 * 365 * 86400


def parse_duration(text: str) -> int:
    """``90s``, ``10m``, ``1h``, ``30d``, ``2w`` (or several: ``1h30m``; a bare number is
    seconds) as whole seconds, at least 1 and at most :data:`MAX_DURATION`."""
    if not isinstance(text, str):
        raise AccessError(f"a duration is a string such as 90s, 10m, 1h or 30d, not"
                          f" {type(text).__name__}")
    t = text.strip().lower()
    if t.isascii() and t.isdigit() and len(t) <= 12:
        total = int(t)
    else:
        pos, total = 0, 0
        for m in _DURATION.finditer(t):
            if m.start() != pos:
                break
            total += int(m.group(1)) * _UNIT[m.group(2)]
            pos = m.end()
        if pos != len(t) or not t:
            raise AccessError(f"invalid duration {text[:40]!r} (use 90s, 10m, 1h, 30d)")
    if total < 1:
        raise AccessError(f"duration {text[:40]!r} is zero: use at least 1s")
    if total > MAX_DURATION:
        raise AccessError(f"duration {text[:40]!r} is longer than 100 years")
    return total


def format_duration(seconds: int) -> str:
    """The shortest of ``30d``/``1h``/``10m``/``90s`` that says ``seconds`` exactly."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_cidr(text: str) -> Network:
    """One address or network: ``203.0.113.7``, ``10.0.0.0/8``, ``2001:db8::/32``. Host bits
    must be zero (``10.0.0.1/8`` is refused, as it is usually a typo)."""
    if not isinstance(text, str) or not text.strip() or len(text) > 64:
        raise AccessError(f"invalid address or network {str(text)[:64]!r}")
    try:
        net = ipaddress.ip_network(text.strip(), strict=True)
    except ValueError as exc:
        raise AccessError(f"invalid address or network {text!r}: {exc}") from None
    return _unmapped(net)


def _unmapped(net: Network) -> Network:
    if isinstance(net, ipaddress.IPv6Network) and net.network_address.ipv4_mapped:
        if net.prefixlen >= 96:
            return ipaddress.IPv4Network((net.network_address.ipv4_mapped, net.prefixlen - 96))
    return net


def parse_cidrs(items: Iterable[str] | str) -> list[Network]:
    """A list of :func:`parse_cidr` values; a string may hold several, comma-separated."""
    if isinstance(items, str):
        items = [items]
    out: list[Network] = []
    for item in items:
        for part in str(item).split(","):
            if part.strip():
                net = parse_cidr(part)
                if net not in out:
                    out.append(net)
    return out


def parse_address(text: str) -> Address:
    """A client address (``203.0.113.7``, ``2001:db8::1``, ``[2001:db8::1]``); an IPv4 address
    written as IPv6 (``::ffff:203.0.113.7``) is the IPv4 one."""
    if not isinstance(text, str):
        raise AccessError("an address is a string")
    t = text.strip()
    if t.startswith("[") and t.endswith("]"):
        t = t[1:-1]
    if not t or len(t) > 64:
        raise AccessError(f"invalid address {text[:64]!r}")
    try:
        addr = ipaddress.ip_address(t)
    except ValueError:
        raise AccessError(f"invalid address {text[:64]!r}") from None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def in_any(addr: Address, nets: Iterable[Network]) -> bool:
    return any(addr.version == n.version and addr in n for n in nets)


def parse_origin(text: str) -> str:
    """An origin as browsers send it: ``https://app.example.com`` or with a port
    (``http://127.0.0.1:8080``), lower-cased, no path. ``*`` is refused: no allowlist is
    already "any origin"."""
    if not isinstance(text, str) or len(text) > 512:
        raise AccessError("an origin is a string such as https://app.example.com")
    t = text.strip().rstrip("/")
    try:
        parts = urlsplit(t)
        port = parts.port
    except ValueError:
        raise AccessError(f"invalid origin {text[:80]!r}") from None
    if (parts.scheme.lower() not in ("http", "https") or not parts.hostname or parts.path
            or parts.query or parts.fragment or parts.username or parts.password
            or any(c.isspace() for c in t)):
        raise AccessError(f"invalid origin {text[:80]!r} (use scheme://host[:port])")
    return _serialize(parts.scheme, parts.hostname, port)


def _serialize(scheme: str, hostname: str, port: int | None) -> str:
    """``scheme://host[:port]`` as browsers write an origin (IPv6 hosts in brackets)."""
    host = hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme.lower()}://{host}" + (f":{port}" if port is not None else "")


def origin_of(url: str) -> str | None:
    """The origin of a ``Referer`` or ``Origin`` value, or ``None`` if it has none."""
    if not isinstance(url, str) or len(url) > 8192:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return _serialize(parts.scheme, parts.hostname, port)


def parse_scopes(scopes: Iterable[str], *, admin: bool = False) -> tuple[str, ...]:
    """Scopes as stored: sorted, each one of :data:`SCOPES` (``org:`` prefix allowed), or
    ``("admin",)`` for an admin key (``admin`` as a scope means the same)."""
    out: set[str] = set()
    for s in scopes:
        if not isinstance(s, str):
            raise AccessError("a scope is a string such as files:read")
        t = s.strip().lower()
        if t.startswith("org:"):
            t = t[4:]
        if t == ADMIN:
            admin = True
        elif t in SCOPES:
            out.add(t)
        else:
            raise AccessError(f"unknown scope {s[:40]!r} (use {', '.join(SCOPES)} or admin)")
    if admin:
        return (ADMIN,)
    if not out:
        raise AccessError("a key needs at least one scope (--scope files:read, ..., or"
                          " --admin)")
    return tuple(sorted(out))


def check_scope(scope: str) -> str:
    t = scope.strip().lower() if isinstance(scope, str) else ""
    if t.startswith("org:"):
        t = t[4:]
    if t not in SCOPES:
        raise AccessError(f"unknown scope {str(scope)[:40]!r} (use {', '.join(SCOPES)})")
    return t
