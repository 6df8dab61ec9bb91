"""A block: a CID and the bytes it names."""

from __future__ import annotations

from .cid import CID


class Block:
    """A CID and its bytes.

    The importer may hand out a block whose bytes are still in parts (a leaf's header, chunk
    and trailer); they are joined the first time :attr:`data` is read, so a store that keeps
    nothing (``add -n``) never pays for the copy.
    """

    __slots__ = ("cid", "_data", "_parts", "size")

    cid: CID
    size: int

    def __init__(self, cid: CID, data: bytes | None = None, *, parts: tuple | None = None,
                 size: int | None = None) -> None:
        self.cid = cid
        self._data = data
        self._parts = parts
        if size is None:
            size = len(data) if data is not None else sum(len(p) for p in parts or ())
        self.size = size

    @property
    def data(self) -> bytes:
        if self._data is None:
            self._data = b"".join(self._parts or ())
            self._parts = None
        return self._data

    def __repr__(self) -> str:
        return f"Block({self.cid}, {self.size} bytes)"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Block):
            return NotImplemented
        return self.cid == other.cid and self.data == other.data

    def __hash__(self) -> int:
        return hash(self.cid)
