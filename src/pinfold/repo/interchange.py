"""The repo's interchange side: CAR import and export (``dag import`` / ``dag export``).

Kept apart from :mod:`pinfold.repo.repo` (blocks, pins, gc): these methods are built only on
the repo's public reading and storing, the CAR package and the exporter's block selection.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

from ..block import Block
from ..blockstore.base import verify as verify_block
from ..car import CarError, CarReader, car_v1, write_car
from ..cid import CID
from ..codecs.links import links_of
from ..errors import CorruptBlockError, DecodeError
from ..exporter import ByteRange, Resolved, resolve, select

if TYPE_CHECKING:
    from ..pins import Pin

_BATCH_BLOCKS = 512
_BATCH_BYTES = 32 << 20


@dataclass
class CarImport:
    """What ``import_car`` did: the roots the CAR headers named, the blocks and bytes read
    (identity blocks excepted), and the pins it made."""

    roots: list[CID] = field(default_factory=list)
    blocks: int = 0
    bytes: int = 0
    pins: list[Pin] = field(default_factory=list)
    completed: list[Pin] = field(default_factory=list)  # queued pins the CAR completed


def _counting(blocks: Iterator[tuple[CID, bytes]],
              progress: Callable[[int], None]) -> Iterator[tuple[CID, bytes]]:
    done = 0
    for cid, data in blocks:
        yield cid, data
        done += len(data)
        progress(done)


class _Verifier:
    """Hashes batches of CAR blocks on one worker thread, in order, and hands each verified
    batch to the repo's writer; at most two batches wait."""

    def __init__(self, writer) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.writer = writer
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="pinfold-verify")
        self.pending: list = []

    @staticmethod
    def _check(batch: list[tuple[Block, list[CID], int]], name: str) -> None:
        for blk, _, offset in batch:
            try:
                verify_block(blk.cid, blk.data)
            except CorruptBlockError as exc:
                raise CarError(f"block {blk.cid} in {name} (section at byte {offset} of the"
                               f" payload) does not match its CID ({exc})") from None

    def submit(self, batch: list[tuple[Block, list[CID], int]], name: str) -> None:
        if not batch:
            return
        self.pending.append((self.pool.submit(self._check, batch, name), batch))
        while len(self.pending) > 2:
            self._drain_one()

    def _drain_one(self) -> None:
        fut, batch = self.pending.pop(0)
        fut.result()
        self.writer.submit([(blk, links) for blk, links, _ in batch])

    def finish(self) -> None:
        while self.pending:
            self._drain_one()

    def __enter__(self) -> _Verifier:
        return self

    def __exit__(self, *exc: object) -> None:
        for fut, _ in self.pending:
            fut.cancel()
        self.pending.clear()
        self.pool.shutdown(wait=True)


class Interchange:
    """Mixed into :class:`~pinfold.Repo`."""

    def import_car(self, sources: Iterable[str | os.PathLike | BinaryIO] | str | os.PathLike
                   | BinaryIO, *, pin: bool = True, name: str = "",
                   meta: dict[str, Any] | None = None, groups: Iterable[str] = (),
                   progress: Callable[[int], None] | None = None) -> CarImport:
        """Store every block of one or more CAR files (v1 or v2) and pin their roots
        recursively, as ``ipfs dag import`` does.

        Each block is checked against its CID while it streams in. A bad block, a truncated
        file or a malformed header raises :class:`~pinfold.car.CarError` and pins nothing
        (blocks already stored stay unreferenced until gc). Roots are pinned only after every
        file was read, all or none: a root whose DAG is incomplete raises
        :class:`~pinfold.errors.BlockNotFoundError`. Queued pins whose blocks arrived become
        ``pinned``. ``progress`` is called with the bytes of CAR read so far (all files).
        """
        from ..pins.meta import check_meta
        from .repo import _BatchWriter

        check_meta(meta)
        if isinstance(sources, str | os.PathLike) or hasattr(sources, "read"):
            sources = [sources]  # type: ignore[list-item]
        result = CarImport()
        with self.pins.lease() as lease, _BatchWriter(self, lease) as writer, \
                _Verifier(writer) as verifier:
            batch: list[tuple[Block, list[CID], int]] = []
            size = 0
            read_before = 0  # bytes of the files already read, for progress
            for source in sources:  # type: ignore[union-attr]
                # blocks are hashed on a worker thread (hashlib releases the GIL) while this
                # one reads on; only verified batches reach the writer
                with CarReader(source, verify=False) as car:
                    result.roots.extend(r for r in car.roots if r not in result.roots)
                    for sec in car.sections():
                        cid, data = sec.cid, sec.data
                        if cid.multihash[:1] == b"\x00":
                            verify_block(cid, data)
                            continue
                        try:
                            links = links_of(cid, data)
                        except DecodeError as exc:
                            raise CarError(f"block {cid} in {car.name}: {exc}") from None
                        batch.append((Block(cid, data), links, sec.offset))
                        result.blocks += 1
                        result.bytes += len(data)
                        size += len(data)
                        if len(batch) >= _BATCH_BLOCKS or size >= _BATCH_BYTES:
                            verifier.submit(batch, car.name)
                            batch, size = [], 0
                        if progress is not None:
                            progress(read_before + car.position)
                    verifier.submit(batch, car.name)
                    batch, size = [], 0
                    read_before += car.position
            verifier.finish()
            writer.finish()
            if pin and result.roots:
                with self.pins.tx():
                    for root in result.roots:
                        result.pins.append(self.pins.add(root, name=name, lease=lease,
                                                         meta=meta, groups=groups))
        result.completed = self.pins.complete_queued()
        return result

    # -- export -------------------------------------------------------------------------
    def car_blocks(self, path: CID | str, *, scope: str = "all",
                   entity_bytes: ByteRange | str | None = None,
                   dups: bool = False) -> tuple[Resolved, Iterator[tuple[CID, bytes]]]:
        """Resolve ``path`` and choose its blocks (see :func:`pinfold.exporter.select`).
        Resolution errors (a missing root block, a missing path entry) raise here, before
        any block is yielded."""
        resolved = resolve(self, path)
        return resolved, select(self, path, scope=scope, entity_bytes=entity_bytes,
                                dups=dups, resolved=resolved)

    def car_stream(self, path: CID | str, *, scope: str = "all",
                   entity_bytes: ByteRange | str | None = None,
                   dups: bool = False) -> Iterator[bytes]:
        """A CARv1 of ``path``, as lazily produced bytes: header root = the path's root CID,
        blocks depth-first in link order, identity blocks left out."""
        resolved, blocks = self.car_blocks(path, scope=scope, entity_bytes=entity_bytes,
                                           dups=dups)
        return car_v1([resolved.root], blocks)

    def export_car(self, path: CID | str, out: BinaryIO, *, version: int = 1,
                   index: bool = True, scope: str = "all",
                   entity_bytes: ByteRange | str | None = None, dups: bool = False,
                   progress: Callable[[int], None] | None = None) -> int:
        """Write the CAR of ``path`` to ``out`` (CARv1, or CARv2 with an index); return the
        number of blocks written. With the defaults the bytes are those of Kubo's
        ``ipfs dag export <cid>``: the root in the header, every block once, depth-first in
        link order. ``progress`` is called with the block bytes written so far."""
        resolved, blocks = self.car_blocks(path, scope=scope, entity_bytes=entity_bytes,
                                           dups=dups)
        if progress is not None:
            blocks = _counting(blocks, progress)
        return write_car(out, [resolved.root], blocks, version=version, index=index)

    # -- structured data (DAG-CBOR, DAG-JSON) --------------------------------------------
    def dag_put(self, value: Any, *, codec: str = "dag-cbor", hash: str = "sha2-256",
                pin: bool = False, name: str = "", meta: dict[str, Any] | None = None,
                groups: Iterable[str] = ()) -> CID:
        """Store a Python value (dict/list/str/int/float/bool/None/bytes/CID links) as one
        DAG-CBOR (or DAG-JSON) block and return its CIDv1, as ``ipfs dag put`` does.

        With ``pin`` the block is pinned recursively, which needs every block it links to
        already in the repo (else :class:`~pinfold.errors.BlockNotFoundError` and nothing is
        pinned): pin NFT metadata after adding the image it links to."""
        return self.dag_put_many([value], codec=codec, hash=hash, pin=pin, name=name,
                                 meta=meta, groups=groups)[0]

    def dag_put_many(self, values: Iterable[Any], *, codec: str = "dag-cbor",
                     hash: str = "sha2-256", pin: bool = False, name: str = "",
                     meta: dict[str, Any] | None = None,
                     groups: Iterable[str] = ()) -> list[CID]:
        """:meth:`dag_put` for many values in one batch (one lease, one write per batch)."""
        from ..ipld import block_of, links
        from ..pins.meta import check_meta

        check_meta(meta)
        cids: list[CID] = []
        with self.pins.lease() as lease:
            batch: list[tuple[Block, list[CID]]] = []
            for value in values:
                cid, data = block_of(value, codec, hash)
                cids.append(cid)
                batch.append((Block(cid, data), links(value)))
                if len(batch) >= _BATCH_BLOCKS:
                    self._store(lease, batch)
                    batch = []
            self._store(lease, batch)
            if pin:
                with self.pins.tx():
                    for cid in dict.fromkeys(cids):
                        self.pins.add(cid, name=name, lease=lease, meta=meta, groups=groups)
        self.pins.complete_queued()
        return cids

    def dag_put_bytes(self, data: bytes, *, input_codec: str = "dag-json",
                      store_codec: str = "dag-cbor", hash: str = "sha2-256",
                      pin: bool = False, name: str = "") -> CID:
        """Parse ``data`` with ``input_codec`` (``dag-json``: links as ``{"/": "<cid>"}``;
        ``json``: plain JSON; ``dag-cbor``) and store it with ``store_codec``: what
        ``pinfold dag put`` reads from stdin."""
        from ..ipld import decode

        return self.dag_put(decode(data, input_codec), codec=store_codec, hash=hash, pin=pin,
                            name=name)

    def dag_get(self, path: CID | str) -> Any:
        """The value at ``<cid>[/a/0/b]``, following links across blocks (DAG-CBOR,
        DAG-JSON, DAG-PB in its data-model form or by UnixFS entry names, raw as bytes);
        links in the result are :class:`~pinfold.CID`. A missing key or index raises
        :class:`~pinfold.errors.PathNotFoundError`."""
        from ..ipld import get

        return get(self, path)
