"""What a pin set hands out: pin records, pages of a query, groups, gc results, problems.

Plain values, the same whichever pin set (SQLite, PostgreSQL) made them.
"""

from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass, field
from typing import Any

from ..cid import CID
from ..errors import PinfoldError
from .limits import MAX_NAME_BYTES
from .meta import stored_text, typed

PIN_TYPES = ("recursive", "direct")
#: Pinata's two networks: public content any gateway serves, private content only to an
#: access link or an API key (pinfold.access).
NETWORKS = ("public", "private")


def new_pin_id(created_ns: int) -> str:
    """A pin's id: a UUID (32 hex digits) of version 7 (RFC 9562) made from its creation time
    (ms in the first 48 bits, the sub-ms part in the next 12, steps of ~244 ns) and 62 random
    bits. Ids made ~244 ns or more apart sort in creation order, so the pin tables' keys (the
    id, and metadata's (pin, key)) grow at their end instead of at random pages, as random
    (version 4) ids made them do: at 200,000 pins that alone took adding pins from 3,164/s
    to 4,502/s (benchmarks/RESULTS.md)."""
    ms, sub = divmod(created_ns, 1_000_000)
    rand = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    return f"{ms & ((1 << 48) - 1):012x}7{sub * 4096 // 1_000_000:03x}{(2 << 62) | rand:016x}"


class PinError(PinfoldError, ValueError):
    """A pin operation that cannot be done (not pinned, already pinned another way, ...)."""


@dataclass(frozen=True)
class Pin:
    """A pin record. ``status`` follows the Pinning Service API: ``queued`` (its blocks are not
    all here yet), ``pinning``, ``pinned`` or ``failed`` (with a ``reason``)."""

    id: str
    cid: CID
    name: str
    type: str
    created: int  # ns since the epoch, unique and increasing
    size: int | None = None
    status: str = "pinned"
    reason: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    groups: tuple[str, ...] = ()
    network: str = "public"

    def to_json(self) -> dict[str, Any]:
        """The JSON form ``pin ls --json`` prints and :meth:`Pinner.export` writes."""
        return {
            "id": self.id, "cid": str(self.cid), "name": self.name, "type": self.type,
            "status": self.status, "reason": self.reason, "created": iso_ns(self.created),
            "created_ns": self.created, "size": self.size,
            "meta": {k: typed(v).to_json() for k, v in self.meta.items()},
            "groups": list(self.groups), "network": self.network,
        }


def iso_ns(ns: int) -> str:
    """ns since the epoch as ISO-8601 UTC with nine fractional digits."""
    secs, rem = divmod(ns, 1_000_000_000)
    base = _dt.datetime.fromtimestamp(secs, _dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{rem:09d}Z"


@dataclass
class Page:
    """One page of a query: the pins, the total that match, and the cursor of the next page
    (``None`` on the last page)."""

    pins: list[Pin]
    total: int
    cursor: int | None


@dataclass(frozen=True)
class Group:
    id: str
    name: str
    created: int
    pins: int = 0


@dataclass
class GCResult:
    blocks: int = 0
    bytes: int = 0
    freed: list[bytes] = field(default_factory=list)  # multihashes


@dataclass
class Problem:
    """Something ``verify`` found wrong."""

    kind: str  # "missing", "corrupt", "refcount", "undecodable"
    cid: CID | None
    detail: str


def check_name(name: str, what: str = "pin name") -> str:
    """A pin's or a group's name (``what`` names it in the error): a string of at most
    :data:`MAX_NAME_BYTES` UTF-8 bytes."""
    if not isinstance(name, str):
        raise PinError(f"{what} must be a string, not {type(name).__name__}")
    if len(stored_text(name, what, PinError)) > MAX_NAME_BYTES:
        raise PinError(f"{what} is longer than {MAX_NAME_BYTES} bytes")
    return name


def check_network(network: str) -> str:
    if network not in NETWORKS:
        raise PinError(f"unknown network {network!r} (use public or private)")
    return network


def check_type(type: str) -> str:
    if type not in PIN_TYPES:
        raise PinError(f"unknown pin type {type!r} (use recursive or direct)")
    return type
