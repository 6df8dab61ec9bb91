"""CAR (Content Addressable aRchive) files, versions 1 and 2: read, write, index.

- :class:`CarReader` streams a CARv1 or CARv2 (``roots``, then ``(cid, bytes)`` pairs), each
  block checked against its CID.
- :func:`car_v1` yields the bytes of a CARv1 lazily; :func:`write_car` writes a CARv1 or a
  CARv2 with an index to a file.
- :func:`inspect` summarises a CAR file; :class:`CarIndex` is a CARv2 index.

Which blocks go into a CAR, and in what order, is the traversal's business
(:func:`pinfold.exporter.select`); this package only frames them.
"""

from .format import PRAGMA, CarError, V2Header, decode_header, encode_header
from .index import INDEX_SORTED, MULTIHASH_INDEX_SORTED, CarIndex
from .inspect import CarSummary, inspect
from .reader import CarReader, Section
from .writer import car_v1, write_car

__all__ = [
    "INDEX_SORTED",
    "MULTIHASH_INDEX_SORTED",
    "PRAGMA",
    "CarError",
    "CarIndex",
    "CarReader",
    "CarSummary",
    "Section",
    "V2Header",
    "car_v1",
    "decode_header",
    "encode_header",
    "inspect",
    "write_car",
]
