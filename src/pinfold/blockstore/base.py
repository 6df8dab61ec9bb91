"""The blockstore interface: blocks keyed by multihash, verified on every read."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol, runtime_checkable

from ..block import Block
from ..cid import CID, get_hash
from ..cid.multihash import decode_multihash
from ..errors import BlockNotFoundError, CorruptBlockError, UnsupportedHashError

IDENTITY = 0x00


def verify(cid: CID, data: bytes) -> None:
    """Raise :class:`CorruptBlockError` unless ``data`` hashes to ``cid``'s multihash."""
    code, digest = decode_multihash(cid.multihash)
    if code == IDENTITY:
        if digest != data:
            raise CorruptBlockError(cid)
        return
    try:
        fn = get_hash(code)
    except UnsupportedHashError:
        raise CorruptBlockError(cid, f"cannot verify hash 0x{code:x}") from None
    if fn.digest(data)[: len(digest)] != digest:
        raise CorruptBlockError(cid)


def identity_data(cid: CID) -> bytes | None:
    """The bytes of an identity CID (they are the digest), or None for a hashed CID."""
    mh = cid.multihash
    if mh[:1] != b"\x00":
        return None
    return decode_multihash(mh)[1]


@runtime_checkable
class Blockstore(Protocol):
    """What every backend does. Keys are multihashes, so the CIDv0 and CIDv1 of the same
    bytes share one stored block; identity CIDs are never stored and always present."""

    def has(self, cid: CID) -> bool: ...
    def get(self, cid: CID) -> bytes: ...
    def put(self, block: Block) -> None: ...
    def put_many(self, blocks: Iterable[Block]) -> None: ...
    def delete(self, cid: CID) -> bool: ...
    def keys(self) -> Iterator[bytes]: ...
    def size_of(self, mh: bytes) -> int | None: ...
    def close(self) -> None: ...


class BaseBlockstore:
    """Shared logic: identity CIDs, verification, batched helpers. Backends implement the
    ``_has``/``_get``/``_put_many``/``_delete``/``keys``/``_size`` primitives on multihashes."""

    verify_reads = True

    def has(self, cid: CID) -> bool:
        if cid.multihash[:1] == b"\x00":
            return True
        return self._has(cid.multihash)

    def get(self, cid: CID) -> bytes:
        """The block's bytes, checked against its hash (:class:`CorruptBlockError` if not)."""
        data = identity_data(cid)
        if data is not None:
            return data
        data = self._get(cid.multihash)
        if data is None:
            raise BlockNotFoundError(cid)
        if self.verify_reads:
            verify(cid, data)
        return data

    def get_many(self, cids: Iterable[CID]) -> Iterator[bytes]:
        for cid in cids:
            yield self.get(cid)

    def put(self, block: Block) -> None:
        self.put_many((block,))

    def put_many(self, blocks: Iterable[Block]) -> None:
        items = [(b.cid.multihash, b.data) for b in blocks if b.cid.multihash[:1] != b"\x00"]
        if items:
            self._put_many(items)

    def delete(self, cid: CID) -> bool:
        """Delete a block; ``True`` if it was there."""
        if cid.multihash[:1] == b"\x00":
            return False
        return self._delete(cid.multihash)

    def delete_mh(self, mh: bytes) -> bool:
        return self._delete(mh)

    def size_of(self, mh: bytes) -> int | None:
        return self._size(mh)

    def delete_many(self, mhs: list[bytes]) -> dict[bytes, int]:
        """Delete blocks by multihash; return the sizes of those that were there."""
        out = {}
        for mh in mhs:
            size = self._size(mh)
            if size is not None and self._delete(mh):
                out[mh] = size
        return out

    def stat(self) -> tuple[int, int]:
        """``(number of blocks, total bytes)``; walks every key."""
        count = total = 0
        for mh in self.keys():
            size = self._size(mh)
            if size is not None:
                count += 1
                total += size
        return count, total

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # primitives -------------------------------------------------------------------------
    def _has(self, mh: bytes) -> bool:
        raise NotImplementedError

    def _get(self, mh: bytes) -> bytes | None:
        raise NotImplementedError

    def _put_many(self, items: list[tuple[bytes, bytes]]) -> None:
        raise NotImplementedError

    def _delete(self, mh: bytes) -> bool:
        raise NotImplementedError

    def _size(self, mh: bytes) -> int | None:
        raise NotImplementedError

    def keys(self) -> Iterator[bytes]:
        raise NotImplementedError
