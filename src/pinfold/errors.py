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


class EncodeError(PinfoldError, ValueError):
    """A value that cannot be encoded into a block (an unencodable link name, ...)."""


class InvalidOptionError(PinfoldError, ValueError):
    """An import option (chunker spec, profile, CID version, ...) that is not valid."""


class ImportSourceError(PinfoldError):
    """An input that cannot be imported: missing path, FIFO, device, symlink loop, ..."""


class BlockNotFoundError(PinfoldError, KeyError):
    """A block that is not in the blockstore."""

    def __init__(self, cid: object) -> None:
        super().__init__(f"block not found: {cid}")
        self.cid = cid

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class CorruptBlockError(PinfoldError):
    """A stored block whose bytes no longer hash to its CID."""

    def __init__(self, cid: object, detail: str = "") -> None:
        msg = f"corrupt block {cid}: its bytes do not match its hash"
        super().__init__(msg + (f" ({detail})" if detail else ""))
        self.cid = cid


class PathNotFoundError(PinfoldError):
    """A path that does not resolve inside a DAG (missing entry, or not a directory)."""


class NotAFileError(PinfoldError):
    """A read of file bytes from something that is not a UnixFS file."""


class AccessDenied(PinfoldError):
    """A request that the access rules refuse (:mod:`pinfold.access`).

    ``reason`` says why, in words that never contain a secret; ``status`` is the HTTP status
    a web part answers with: 401 for missing or invalid credentials (no key, an unknown,
    revoked, expired or used-up key or token), 403 for credentials or requests that are
    valid but not allowed here (a key without the scope, a bad access link, an address or
    origin not on the allowlist), 400 for a malformed forwarding header."""

    def __init__(self, reason: str, status: int = 403) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
