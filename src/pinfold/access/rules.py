"""The network part of the gateway rules: which address a request comes from, and whether
its address and its origin are allowed (:class:`~.records.GatewayRules`)."""

from __future__ import annotations

from collections.abc import Iterable

from .errors import AccessDenied, AccessError
from .parse import Address, in_any, origin_of, parse_address
from .records import GatewayRules

#: At most this many addresses are read from ``X-Forwarded-For`` (a longer chain is refused).
MAX_FORWARDED = 32


def client_address(rules: GatewayRules, peer: str | None,
                   forwarded_for: Iterable[str] = ()) -> Address | None:
    """The client's address: the peer's, unless the peer is a trusted proxy; then the
    right-most ``X-Forwarded-For`` entry that is not itself a trusted proxy (the left-most
    if all are). ``None`` when the peer has no IP address (a Unix socket). A malformed
    header from a trusted proxy is refused (400); from anyone else it is ignored."""
    if peer is None:
        return None
    try:
        addr = parse_address(peer)
    except AccessError:
        return None
    if not rules.trusted_proxies or not in_any(addr, rules.trusted_proxies):
        return addr
    entries = [e.strip() for value in forwarded_for for e in value.split(",")]
    entries = [e for e in entries if e]
    if not entries:
        return addr
    if len(entries) > MAX_FORWARDED:
        raise AccessDenied("X-Forwarded-For lists too many addresses", 400)
    chain = []
    for e in entries:
        try:
            chain.append(parse_address(e))
        except AccessError:
            raise AccessDenied("malformed X-Forwarded-For from a trusted proxy", 400) from None
    for hop in reversed(chain):
        if not in_any(hop, rules.trusted_proxies):
            return hop
    return chain[0]


def check_address(rules: GatewayRules, addr: Address | None) -> None:
    """403 unless the allowlist is empty or holds ``addr``."""
    if rules.allow_ip and (addr is None or not in_any(addr, rules.allow_ip)):
        raise AccessDenied(f"address {addr} is not on this gateway's allowlist"
                           if addr is not None else "this gateway allows only listed"
                           " addresses, and the request has none")


def request_origin(origin: str | None, referer: str | None) -> str | None:
    """The origin a browser request names: ``Origin``, else the ``Referer``'s."""
    if origin and origin.strip().lower() != "null":
        return origin_of(origin) or "invalid"
    if origin:
        return "null"
    if referer:
        return origin_of(referer) or "invalid"
    return None


def check_origin(rules: GatewayRules, origin: str | None) -> None:
    """403 when there is an origin allowlist and the request names another origin. A
    request that names none (not sent by a page: curl, a bookmark) is not refused by it."""
    if rules.allow_origins and origin is not None and origin not in rules.allow_origins:
        raise AccessDenied(f"origin {origin[:200]} is not allowed on this gateway")
