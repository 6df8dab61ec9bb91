"""The errors of access control: a refused request (:class:`pinfold.errors.AccessDenied`),
and bad access-control input."""

from __future__ import annotations

from ..errors import AccessDenied, InvalidOptionError


class AccessError(InvalidOptionError):
    """Access-control input that is not valid: a duration, a scope, a CIDR, an origin, a
    link path, an unknown key or token id."""


__all__ = ["AccessDenied", "AccessError"]
