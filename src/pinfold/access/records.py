"""What the access API hands out: API keys, gateway tokens and the gateway rules, as plain
values whose reprs never hold a secret (only a hash of each secret is ever stored)."""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field
from typing import Any

from .parse import ADMIN, SCOPES, Network


def iso(ts: int | None) -> str | None:
    if ts is None:
        return None
    return _dt.datetime.fromtimestamp(ts, _dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class ApiKey:
    """An API key's record (the secret is not in it). ``scopes`` is ``("admin",)`` for an
    admin key; ``max_uses`` ``None`` is unlimited; ``expires``, ``created`` and ``revoked``
    are unix seconds (``None``: never, not revoked)."""

    id: str
    name: str
    scopes: tuple[str, ...]
    max_uses: int | None
    uses: int
    expires: int | None
    created: int
    revoked: int | None = None

    @property
    def admin(self) -> bool:
        return ADMIN in self.scopes

    def allows(self, scope: str) -> bool:
        return self.admin or scope in self.scopes

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "scopes": list(self.scopes),
                "admin": self.admin, "uses": self.uses, "max_uses": self.max_uses,
                "expires": iso(self.expires), "created": iso(self.created),
                "revoked": iso(self.revoked)}


@dataclass(frozen=True)
class NewApiKey:
    """A key just made: its record and its secret, which is shown this once."""

    key: ApiKey
    secret: str = field(repr=False)

    def __repr__(self) -> str:
        return f"NewApiKey(key={self.key!r}, secret=<hidden>)"

    def to_json(self) -> dict[str, Any]:
        return {**self.key.to_json(), "secret": self.secret}


@dataclass(frozen=True)
class GatewayToken:
    id: str
    name: str
    created: int
    revoked: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "created": iso(self.created),
                "revoked": iso(self.revoked)}


@dataclass(frozen=True)
class NewGatewayToken:
    token: GatewayToken
    secret: str = field(repr=False)

    def __repr__(self) -> str:
        return f"NewGatewayToken(token={self.token!r}, secret=<hidden>)"


@dataclass(frozen=True)
class GatewayRules:
    """The gateway rules every process that opens the repo applies.

    - ``restricted``: serve only content some pin reaches (on by default).
    - ``allow_ip``: when not empty, only clients whose address is in one of these networks.
    - ``trusted_proxies``: peers whose ``X-Forwarded-For`` names the client.
    - ``allow_origins``: when not empty, requests whose ``Origin`` (else ``Referer``) is
      another origin are refused, and CORS headers name the listed origin that asked."""

    restricted: bool = True
    allow_ip: tuple[Network, ...] = ()
    trusted_proxies: tuple[Network, ...] = ()
    allow_origins: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"restricted": self.restricted, "allow_ip": [str(n) for n in self.allow_ip],
                "trusted_proxies": [str(n) for n in self.trusted_proxies],
                "allow_origins": list(self.allow_origins)}

    def dumps(self) -> str:
        return json.dumps(self.to_json(), sort_keys=True)


__all__ = ["SCOPES", "ApiKey", "GatewayRules", "GatewayToken", "NewApiKey", "NewGatewayToken"]
