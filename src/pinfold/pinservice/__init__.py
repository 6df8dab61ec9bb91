"""The IPFS Pinning Service API (ipfs/pinning-services-api-spec v1.0.0) over a repo's pins.

:class:`PinService` holds the operations (list with every filter, add, get, replace,
remove) as plain functions of parsed requests; :mod:`.mapping` turns pins into ``PinStatus``
objects and request bodies into :class:`PinRequest`; :mod:`.listing` turns ``GET /pins``
parameters into a pin query; :class:`PinServiceError` is the spec's ``Failure``. The HTTP
routes that mount it are in :mod:`pinfold.web`. See docs/pinning-api.md.
"""

from .errors import PinServiceError
from .listing import parse_list
from .mapping import ORIGINS_KEY, PinRequest, parse_pin, pin_status
from .service import PinService

__all__ = ["ORIGINS_KEY", "PinRequest", "PinService", "PinServiceError", "parse_list",
           "parse_pin", "pin_status"]
