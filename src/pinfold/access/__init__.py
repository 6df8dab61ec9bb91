"""Access control: signed access links, API keys, gateway tokens and gateway rules.

Everything lives in the repo's ``access.sqlite`` (mode 0600), so every process that opens
the repo applies the same rules. ``repo.access`` is the repo's :class:`Access`. The stable
library API (used by ``pinfold.web``, the CLI and the Pinning Service routes)::

    access = repo.access
    # access links (HMAC-SHA256 under the repo's link secret; docs/access.md)
    url = access.link("bafy.../img.png", expires="1h", base_url="https://gw.example")
    access.check_link("GET", "/ipfs/bafy.../img.png", query_pairs)  # True / False / raises
    access.rotate()                                    # every older link stops working
    # API keys: the secret is returned once, only its SHA-256 is stored
    new = access.create_key("ci", ["files:read"], max_uses=100, expires="30d")
    new.secret, new.key.id
    key = access.check_key(secret, "files:write")      # -> ApiKey, one use counted
    access.keys(); access.key(id); access.revoke_key(id)
    # gateway tokens and rules
    access.create_token("site").secret; access.tokens(); access.revoke_token(id)
    access.tokens_required(); access.check_token(secret)
    access.rules(); access.set_rules(restricted=True, allow_ip=["10.0.0.0/8"], ...)

Refusals raise :class:`AccessDenied` (a :class:`~pinfold.errors.PinfoldError`) with
``.reason`` and ``.status`` (401: no or invalid credentials; 403: not allowed; 400: a
malformed ``X-Forwarded-For`` from a trusted proxy). Bad input (a duration, a scope, a CIDR)
raises :class:`AccessError`. No error, log line or repr holds a secret.

Scopes (:data:`SCOPES`) are Pinata's resources: ``files:read``, ``files:write``,
``groups:read``, ``groups:write``, ``gateways:read``, ``gateways:write``; ``admin`` has all.
Durations are written ``90s``, ``10m``, ``1h``, ``30d`` (:func:`parse_duration`).
"""

from .access import Access
from .errors import AccessDenied, AccessError
from .links import ALGORITHM, CLOCK_SKEW, TOKEN_PARAM, canonical_path, parse_query_string
from .parse import (
    ADMIN,
    SCOPES,
    check_scope,
    format_duration,
    origin_of,
    parse_address,
    parse_cidr,
    parse_cidrs,
    parse_duration,
    parse_origin,
    parse_scopes,
)
from .records import ApiKey, GatewayRules, GatewayToken, NewApiKey, NewGatewayToken
from .rules import check_address, check_origin, client_address, request_origin

#: The header and query parameter that carry a gateway token (Pinata's, with our prefix).
TOKEN_HEADER = "x-pinfold-gateway-token"

__all__ = [
    "ADMIN",
    "ALGORITHM",
    "CLOCK_SKEW",
    "SCOPES",
    "TOKEN_HEADER",
    "TOKEN_PARAM",
    "Access",
    "AccessDenied",
    "AccessError",
    "ApiKey",
    "GatewayRules",
    "GatewayToken",
    "NewApiKey",
    "NewGatewayToken",
    "canonical_path",
    "check_address",
    "check_origin",
    "check_scope",
    "client_address",
    "format_duration",
    "origin_of",
    "parse_address",
    "parse_cidr",
    "parse_cidrs",
    "parse_duration",
    "parse_origin",
    "parse_query_string",
    "parse_scopes",
    "request_origin",
]
