"""The exceptions pinfold raises. Every error a caller can cause is a :class:`PinfoldError`."""

from __future__ import annotations


class PinfoldError(Exception):
    """Base class of every error pinfold raises on purpose."""


class InvalidCIDError(PinfoldError, ValueError):
    """A CID string or binary form that cannot be parsed."""


class UnsupportedHashError(PinfoldError, ValueError):
    """A hash function name or multihash code pinfold cannot compute."""


class DecodeError(PinfoldError, ValueError):
    """A block that does not decode under its codec (DAG-PB, UnixFS, ...)."""


class InvalidOptionError(PinfoldError, ValueError):
    """An import option (chunker spec, profile, CID version, ...) that is not valid."""


class ImportSourceError(PinfoldError):
    """An input that cannot be imported: missing path, FIFO, device, symlink loop, ..."""
