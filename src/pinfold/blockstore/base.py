"""The blockstore interface: blocks keyed by multihash, verified on every read."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Protocol, runtime_checkable

from ..block import Block
from ..cid import CID, get_hash
from ..cid.multihash import IDENTITY, decode_multihash
from ..errors import BlockNotFoundError, CorruptBlockError, UnsupportedHashError

#: The shortest and longest digests a block is verified with (boxo ``verifcid``).
MIN_DIGEST, MAX_DIGEST = 20, 128


def verify(cid: CID, data: bytes) -> None:
    """Raise :class:`CorruptBlockError` unless ``data`` hashes to ``cid``'s multihash.

    A truncated digest is accepted (go-multihash writes them), but not one shorter than
    :data:`MIN_DIGEST` bytes or longer than :data:`MAX_DIGEST`: a 0-byte sha2-256 digest
    "matches" every block. These are boxo ``verifcid``'s limits, which Kubo applies to
    every block it reads."""
    code, digest = decode_multihash(cid.multihash)
    if code == IDENTITY:
        if digest != data:
            raise CorruptBlockError(cid)
        return
    if not MIN_DIGEST <= len(digest) <= MAX_DIGEST:
        raise CorruptBlockError(cid, f"a {len(digest)}-byte digest verifies nothing: a block"
                                     f" needs {MIN_DIGEST} to {MAX_DIGEST} bytes, as in Kubo")
    try:
        fn = get_hash(code)
    except UnsupportedHashError:
        raise CorruptBlockError(cid, f"cannot verify hash 0x{code:x}") from None
    if fn.digest(data)[: len(digest)] != digest:
        raise CorruptBlockError(cid)


def identity_data(cid: CID) -> bytes | None:
    """The bytes of an identity CID (they are the digest), or None for a hashed CID
    (:attr:`CID.identity_data <pinfold.CID.identity_data>`, kept under this name)."""
    return cid.identity_data


@runtime_checkable
class Blockstore(Protocol):
    """What every backend does (:class:`BaseBlockstore` does most of it over five
    primitives). Keys are multihashes, so the CIDv0 and CIDv1 of the same bytes share one
    stored block; identity CIDs are never stored and always present.

    A blockstore knows nothing of pins: the pin set's protocol (record under a lease, then
    write; gc deletes only what the pin set lists) is kept by its callers. What it promises:
    a block is written whole or not at all (a crash mid-write never leaves a readable
    partial block), writes are idempotent (the same key always holds the same bytes), a
    write or delete is durable when the call returns (unless the store was opened without
    fsync), and concurrent writers and readers of one store (threads, processes) are safe.

    ``write_streams`` (optional; 1 where it is missing) is how many ``put_many`` calls the
    repo's block writer runs at once, on threads of their own, each with a batch of its own:
    more than 1 where a batch's write spends its time waiting (flatfs with fsync: while one
    batch waits for its syncs, the next is written).
    """

    def has(self, cid: CID) -> bool:
        """Whether the block is stored (identity CIDs: always)."""

    def get(self, cid: CID) -> bytes:
        """The block's bytes, verified against the CID (:class:`CorruptBlockError` if they
        do not match, :class:`BlockNotFoundError` if absent)."""

    def put(self, block: Block) -> None: ...

    def put_many(self, blocks: Iterable[Block]) -> None:
        """Store blocks (the caller checked them; identity blocks are skipped). ``blocks``
        may be an iterator, read once: the repo's block writer hands one that drops each
        block from its batch as the store takes it."""

    def delete(self, cid: CID) -> bool:
        """Delete a block; ``True`` if it was there."""

    def delete_many(self, mhs: list[bytes],
                    sizes: Mapping[bytes, int] | None = None) -> dict[bytes, int]:
        """Delete blocks by multihash; the sizes of those that were there (what gc frees).
        ``sizes``: what the caller knows of some of the blocks' sizes (the pin set recorded
        them), which a store may report instead of measuring each block."""

    def keys(self) -> Iterator[bytes]:
        """Every stored multihash (a full gc and ``repo verify`` walk them)."""

    def size_of(self, mh: bytes) -> int | None:
        """A stored block's size, or None."""

    def stat(self) -> tuple[int, int]:
        """``(number of blocks, total bytes)``."""

    def close(self) -> None: ...


class BaseBlockstore:
    """Shared logic: identity CIDs, verification, batched helpers. Backends implement the
    ``_has``/``_get``/``_put_many``/``_delete``/``keys``/``_size`` primitives on multihashes."""

    verify_reads = True
    write_streams = 1  # see Blockstore

    def has(self, cid: CID) -> bool:
        if cid.is_identity:
            return True
        return self._has(cid.multihash)

    def get(self, cid: CID) -> bytes:
        """The block's bytes, checked against its hash (:class:`CorruptBlockError` if not)."""
        data = cid.identity_data
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
        # the list is _put_many's to keep or to empty as it writes (flatfs frees each item's
        # bytes once its file is written)
        items = [(b.cid.multihash, self._payload(b)) for b in blocks if not b.cid.is_identity]
        if items:
            self._put_many(items)

    @staticmethod
    def _payload(block: Block) -> Any:
        """What :meth:`_put_many` receives for a block: its bytes (a backend that can write
        several buffers takes :meth:`~pinfold.block.Block.buffers` instead)."""
        return block.data

    def delete(self, cid: CID) -> bool:
        """Delete a block; ``True`` if it was there."""
        if cid.is_identity:
            return False
        return self._delete(cid.multihash)

    def delete_mh(self, mh: bytes) -> bool:
        return self._delete(mh)

    def size_of(self, mh: bytes) -> int | None:
        return self._size(mh)

    def delete_many(self, mhs: list[bytes],
                    sizes: Mapping[bytes, int] | None = None) -> dict[bytes, int]:
        """Delete blocks by multihash; return the sizes of those that were there."""
        out = {}
        known = sizes or {}
        for mh in mhs:
            size = known.get(mh)
            if size is None:
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
