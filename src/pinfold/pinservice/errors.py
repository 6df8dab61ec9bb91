"""The Pinning Service API's failures: ``{"error": {"reason", "details"}}`` and a status."""

from __future__ import annotations

from typing import Any

from ..errors import PinfoldError


class PinServiceError(PinfoldError):
    """A request the Pinning Service API refuses: ``status`` is the HTTP status, ``reason``
    the spec's machine-readable code (``BAD_REQUEST``, ``UNAUTHORIZED``, ``NOT_FOUND``, ...),
    ``details`` the sentence for humans (never a secret)."""

    def __init__(self, status: int, reason: str, details: str) -> None:
        super().__init__(details)
        self.status = status
        self.reason = reason
        self.details = details

    def to_json(self) -> dict[str, Any]:
        """The spec's ``Failure`` object."""
        return {"error": {"reason": self.reason, "details": self.details}}


def bad_request(details: str) -> PinServiceError:
    return PinServiceError(400, "BAD_REQUEST", details)


def not_found(details: str) -> PinServiceError:
    return PinServiceError(404, "NOT_FOUND", details)
