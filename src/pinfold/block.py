"""A block: a CID and the bytes it names; and what every reader of blocks is given."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from .cid import CID
from .errors import BlockNotFoundError


class BlockGetter(Protocol):
    """Anything blocks can be read from (a blockstore, a repo, a CAR's blocks in memory):
    ``get(cid)`` returns the block's bytes, verified against the CID. A missing block raises
    :class:`~pinfold.errors.BlockNotFoundError` (returning ``None`` is accepted too)."""

    def get(self, cid: CID) -> bytes: ...


def fetch(blocks: BlockGetter, cid: CID) -> bytes:
    """The bytes of ``cid``: from the CID itself for an identity CID, else ``blocks.get``."""
    data = cid.identity_data
    if data is not None:
        return data
    data = blocks.get(cid)
    if data is None:
        raise BlockNotFoundError(cid)
    return data if type(data) is bytes else bytes(data)


class Block:
    """A CID and its bytes.

    The importer may hand out a block whose bytes are still in parts (a leaf's header, chunk
    and trailer); they are joined the first time :attr:`data` is read, so a store that keeps
    nothing (``add -n``) never pays for the copy.

    :attr:`links` are the CIDs the block links to, in order, where whoever made the block
    knows them (the importer sets them on every block it builds); ``None`` means not known
    (read them from the bytes with :func:`pinfold.codecs.links.links_of`).
    """

    __slots__ = ("cid", "_data", "_parts", "size", "links")

    cid: CID
    size: int
    links: Sequence[CID] | None

    def __init__(self, cid: CID, data: bytes | None = None, *, parts: tuple | None = None,
                 size: int | None = None, links: Sequence[CID] | None = None) -> None:
        self.cid = cid
        self._data = data
        self._parts = parts
        self.links = links
        if size is None:
            size = len(data) if data is not None else sum(len(p) for p in parts or ())
        self.size = size

    @property
    def data(self) -> bytes:
        if self._data is None:
            self._data = b"".join(self._parts or ())
            self._parts = None
        return self._data

    def buffers(self) -> tuple[bytes | memoryview, ...]:
        """The block's bytes as the buffers it was made of, not joined (a leaf's frame and its
        chunk, say): for a writer that can take several (``os.writev``) and so skips a copy.
        Their concatenation is :attr:`data`."""
        if self._data is not None:
            return (self._data,)
        return tuple(self._parts or ())

    def __repr__(self) -> str:
        return f"Block({self.cid}, {self.size} bytes)"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Block):
            return NotImplemented
        return self.cid == other.cid and self.data == other.data

    def __hash__(self) -> int:
        return hash(self.cid)
