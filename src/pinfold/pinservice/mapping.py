"""Pins as the Pinning Service API shows them, and its request bodies as pin arguments.

- A ``requestid`` is a pin id; ``created`` is the pin's ``created`` in RFC 3339 with nine
  fractional digits (unique, the pagination cursor); ``status`` is the pin's own
  (``queued``/``pinning``/``pinned``/``failed``).
- ``meta`` is a map of strings, as the spec says. Pins made through the API carry string
  values; a pin that pinfold's own API gave typed metadata shows each value as text
  (numbers as JSON writes them, booleans ``true``/``false``, times in ISO 8601).
- ``origins`` are kept in the pin's metadata under :data:`ORIGINS_KEY` (a JSON array of
  strings), which the API hides from ``meta`` and refuses in a request's ``meta``.
- ``info`` holds ``status_details`` (the pin's ``reason``, when it has one) and ``dag_size``
  (the DAG's bytes, when known). ``delegates`` are the service's, given by whoever mounts it
  (pinfold dials no peers, so the default is none).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..cid import CID
from ..errors import PinfoldError
from ..pins import Pin
from ..pins.limits import MAX_KEYS, MAX_NAME_BYTES
from ..pins.records import iso_ns
from .errors import bad_request

#: The metadata key the API stores a pin's ``origins`` under.
ORIGINS_KEY = "pinfold:origins"
MAX_ORIGINS = 20
MAX_ORIGIN_CHARS = 1024
MAX_META_KEYS = MAX_KEYS - 1  # one key is kept for the origins


@dataclass(frozen=True)
class PinRequest:
    """A ``Pin`` object of a request, checked: what ``POST /pins`` asks for."""

    cid: CID
    name: str = ""
    origins: tuple[str, ...] = ()
    meta: dict[str, str] = field(default_factory=dict)

    def pin_meta(self) -> dict[str, str]:
        """The metadata the pin is stored with (origins included)."""
        meta = dict(self.meta)
        if self.origins:
            meta[ORIGINS_KEY] = json.dumps(list(self.origins), ensure_ascii=False)
        return meta


def _text_ok(text: str, what: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise bad_request(f"{what} is not valid text (a lone surrogate)") from None
    return text


def parse_pin(body: Any) -> PinRequest:
    """The ``Pin`` object of a request body (already parsed JSON), or a ``BAD_REQUEST``."""
    if not isinstance(body, dict):
        raise bad_request("the body must be a JSON object (a Pin)")
    unknown = set(body) - {"cid", "name", "origins", "meta"}
    if unknown:
        raise bad_request(f"unknown Pin fields: {', '.join(sorted(map(str, unknown)))}")
    raw_cid = body.get("cid")
    if not isinstance(raw_cid, str):
        raise bad_request("Pin.cid is required and must be a string")
    try:
        cid = CID(_text_ok(raw_cid, "Pin.cid"))
    except PinfoldError as exc:
        raise bad_request(f"Pin.cid is not a CID: {exc}") from None
    name = body.get("name")
    if name is None:
        name = ""
    if not isinstance(name, str):
        raise bad_request("Pin.name must be a string")
    if len(_text_ok(name, "Pin.name").encode("utf-8")) > MAX_NAME_BYTES:
        raise bad_request(f"Pin.name is longer than {MAX_NAME_BYTES} bytes")
    return PinRequest(cid, name, parse_origins(body.get("origins")), parse_meta(body.get("meta")))


def parse_origins(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise bad_request("Pin.origins must be an array of multiaddrs")
    if len(value) > MAX_ORIGINS:
        raise bad_request(f"Pin.origins holds at most {MAX_ORIGINS} multiaddrs")
    out: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.startswith("/"):
            raise bad_request("every Pin.origins entry is a multiaddr (a string starting with /)")
        if len(item) > MAX_ORIGIN_CHARS:
            raise bad_request(f"a Pin.origins entry is longer than {MAX_ORIGIN_CHARS} characters")
        _text_ok(item, "a Pin.origins entry")
        if item in out:
            raise bad_request("Pin.origins entries must be unique")
        out.append(item)
    return tuple(out)


def parse_meta(value: Any, what: str = "Pin.meta") -> dict[str, str]:
    """A ``PinMeta`` object: string keys and string values, at most :data:`MAX_META_KEYS`."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_request(f"{what} must be a JSON object of strings")
    if len(value) > MAX_META_KEYS:
        raise bad_request(f"{what} holds at most {MAX_META_KEYS} keys")
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            raise bad_request(f"{what} keys are non-empty strings")
        if key == ORIGINS_KEY:
            raise bad_request(f"{what} key {ORIGINS_KEY!r} is reserved (origins are kept there)")
        if not isinstance(item, str):
            raise bad_request(f"{what} values are strings ({key[:40]!r} is not)")
        _text_ok(key, f"a {what} key")
        _text_ok(item, f"the {what} value of {key[:40]!r}")
    return dict(value)


def meta_text(value: Any) -> str:
    """A typed metadata value as the string the API shows."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.UTC)
        return value.astimezone(_dt.UTC).isoformat().replace("+00:00", "Z")
    return json.dumps(value, default=str)


def origins_of(pin: Pin) -> list[str]:
    raw = pin.meta.get(ORIGINS_KEY)
    if not isinstance(raw, str):
        return []
    try:
        value = json.loads(raw)
    except ValueError:
        return []
    return [o for o in value if isinstance(o, str)] if isinstance(value, list) else []


def pin_status(pin: Pin, delegates: Sequence[str] = ()) -> dict[str, Any]:
    """A pin as a ``PinStatus`` object."""
    obj: dict[str, Any] = {"cid": str(pin.cid)}
    if pin.name:
        obj["name"] = pin.name
    origins = origins_of(pin)
    if origins:
        obj["origins"] = origins
    meta = {k: meta_text(v) for k, v in pin.meta.items() if k != ORIGINS_KEY}
    if meta:
        obj["meta"] = meta
    info: dict[str, str] = {}
    if pin.reason:
        info["status_details"] = pin.reason
    if pin.size is not None:
        info["dag_size"] = str(pin.size)
    return {
        "requestid": pin.id,
        "status": pin.status,
        "created": iso_ns(pin.created),
        "pin": obj,
        "delegates": list(delegates),
        "info": info,
    }
