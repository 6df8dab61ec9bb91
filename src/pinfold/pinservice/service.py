"""The Pinning Service API's operations over a repo's pin set, as plain functions of parsed
requests: :class:`PinService`. The web routes (:mod:`pinfold.web.pins`) only move JSON in
and out; authentication is theirs.

- ``POST /pins`` pins the CID recursively, ``queued`` when its blocks are not (all) in the
  repo: the pin completes by itself when they arrive (an upload, a CAR import, an ``add``),
  as ``repo.pin(..., queue=True)`` does. Pinning a CID again under the same name gives the
  same request back (pinfold's pin set makes that idempotent), with the new request's
  ``meta`` and ``origins``; under another name it is another request.
- ``POST /pins/{requestid}`` replaces: the new pin is taken before the old one is removed,
  in one pin-set transaction, so blocks both share are never collectable in between.
- ``DELETE /pins/{requestid}`` removes the pin (queued or not); its blocks that nothing else
  keeps are collected by the next gc.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ..errors import PinfoldError
from ..pins import Pin, PinError
from .errors import PinServiceError, bad_request, not_found
from .listing import parse_list
from .mapping import PinRequest, parse_pin, pin_status

MAX_REQUESTID_CHARS = 128


class PinService:
    """The API over ``repo`` (a :class:`~pinfold.repo.Repo`). ``delegates`` are the
    multiaddrs every ``PinStatus`` names (the spec's provider hints; pinfold dials no peers,
    so by default there are none)."""

    def __init__(self, repo: Any, *, delegates: Sequence[str] = ()) -> None:
        self.repo = repo
        self.delegates = list(delegates)

    # -- the operations ---------------------------------------------------------------------
    def list(self, params: Iterable[tuple[str, str]]) -> dict[str, Any]:
        """``GET /pins``: a ``PinResults`` object."""
        query = parse_list(params)
        page = self._call(lambda: self.repo.pins.query(query))
        return {"count": page.total, "results": [self.status(p) for p in page.pins]}

    def add(self, body: Any) -> dict[str, Any]:
        """``POST /pins``: the new pin's ``PinStatus`` (answered with 202)."""
        request = parse_pin(body)
        return self.status(self._call(lambda: self._pin(request)))

    def get(self, requestid: str) -> dict[str, Any]:
        """``GET /pins/{requestid}``."""
        return self.status(self._get(requestid))

    def replace(self, requestid: str, body: Any) -> dict[str, Any]:
        """``POST /pins/{requestid}``: the new pin's ``PinStatus`` (202)."""
        request = parse_pin(body)
        self._get(requestid)

        def run() -> Pin:
            with self.repo.pins.transaction():
                old = self._get(requestid)
                new = self._pin(request)
                if new.id != old.id:
                    self.repo.pins.remove(pin_id=old.id)
                return new

        return self.status(self._call(run))

    def remove(self, requestid: str) -> None:
        """``DELETE /pins/{requestid}`` (answered with 202 and no body)."""
        pin = self._get(requestid)
        try:
            self.repo.pins.remove(pin_id=pin.id)
        except PinError:
            raise not_found(f"no pin with requestid {requestid!r}") from None

    def status(self, pin: Pin) -> dict[str, Any]:
        return pin_status(pin, self.delegates)

    # -- inside -----------------------------------------------------------------------------
    def _pin(self, request: PinRequest) -> Pin:
        meta = request.pin_meta()
        pin = self.repo.pin(request.cid, name=request.name, meta=meta, queue=True)
        if pin.meta != meta:  # the same request again, with other metadata
            pin = self.repo.pins.update_meta(pin.id, meta, replace=True)
        return pin

    def _get(self, requestid: str) -> Pin:
        if (not requestid or len(requestid) > MAX_REQUESTID_CHARS or not requestid.isascii()
                or not requestid.isprintable()):
            raise not_found("no pin with that requestid")
        try:
            return self.repo.pins.get(requestid)
        except PinError:
            raise not_found(f"no pin with requestid {requestid!r}") from None

    @staticmethod
    def _call(fn):
        try:
            return fn()
        except PinServiceError:
            raise
        except PinfoldError as exc:
            raise bad_request(str(exc)) from None
