"""Gateway helpers: answer IPFS path- and trustless-gateway requests inside any web app.

:func:`handle` takes a block source (a :class:`~pinfold.Repo`), the method, the URL path
``/ipfs/{cid}[/{path}]``, the query and the request headers, and returns a
:class:`Response` (status, headers, lazy body) that a few lines of Starlette, Flask, aiohttp
or WSGI glue can send. It serves raw blocks (``application/vnd.ipld.raw``), CAR streams
(``application/vnd.ipld.car`` with ``dag-scope``, ``entity-bytes``, ``dups``), and the
deserialized responses of a path gateway (UnixFS files with ``Range``, directories,
DAG-JSON/DAG-CBOR blocks). See docs/gateway.md.

:func:`verify_car` is the client side: it checks that a CAR response holds every block needed
for what was asked, each matching its CID.
"""

from .handler import Response, handle
from .negotiate import parse_accept, parse_range
from .sniff import content_type, guess_type, sniff
from .verify import IncompleteCarError, VerifiedCar, verify_car

__all__ = [
    "IncompleteCarError",
    "Response",
    "VerifiedCar",
    "content_type",
    "guess_type",
    "handle",
    "parse_accept",
    "parse_range",
    "sniff",
    "verify_car",
]
