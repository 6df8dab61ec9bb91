"""CAR import and export (``dag import`` / ``dag export``), built on a block writer and a block
getter, as Helia's ``car`` package is built on ``{blockstore, getCodec}``.

Import: every block of one or more CAR files through a :class:`~pinfold.repo.writer.
BlockWriter` (verified against its CID on the writer's check thread, a batch ahead of the
writes), then the roots pinned, all or none. Export: the blocks the exporter's
:func:`~pinfold.exporter.select` chooses, from any :class:`~pinfold.block.BlockGetter`.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from ..block import Block, BlockGetter
from ..blockstore.base import Blockstore
from ..blockstore.base import verify as verify_block
from ..car import CarError, CarReader, car_v1, write_car
from ..cid import CID
from ..codecs.links import links_of
from ..errors import CorruptBlockError, DecodeError
from ..exporter import ByteRange, Resolved, resolve, select
from ..pins import Pin, Pinner
from ..pins.meta import check_meta
from .writer import BlockWriter

Sources = Iterable[str | os.PathLike | BinaryIO] | str | os.PathLike | BinaryIO


@dataclass
class CarImport:
    """What ``import_car`` did: the roots the CAR headers named, the blocks and bytes read
    (identity blocks excepted), and the pins it made."""

    roots: list[CID] = field(default_factory=list)
    blocks: int = 0
    bytes: int = 0
    pins: list[Pin] = field(default_factory=list)
    completed: list[Pin] = field(default_factory=list)  # queued pins the CAR completed


def import_car(pins: Pinner, blocks: Blockstore, sources: Sources, *, pin: bool = True,
               name: str = "", meta: dict[str, Any] | None = None, groups: Iterable[str] = (),
               progress: Callable[[int], None] | None = None,
               network: str = "public") -> CarImport:
    """Store every block of one or more CAR files (v1 or v2) and pin their roots
    recursively (on ``network``: ``public`` or ``private``), as ``ipfs dag import`` does.

    Each block is checked against its CID while it streams in. A bad block, a truncated
    file or a malformed header raises :class:`~pinfold.car.CarError` and pins nothing
    (blocks already stored stay unreferenced until gc). Roots are pinned only after every
    file was read, all or none: a root whose DAG is incomplete raises
    :class:`~pinfold.errors.BlockNotFoundError`. Queued pins whose blocks arrived become
    ``pinned``. ``progress`` is called with the bytes of CAR read so far (all files).
    """
    check_meta(meta)
    if isinstance(sources, str | os.PathLike) or hasattr(sources, "read"):
        sources = [sources]  # type: ignore[list-item]
    result = CarImport()
    # (file, payload offset) of each block not checked yet, in the order the checks take them
    where: deque[tuple[str, int]] = deque()

    def check(batch: list[Block]) -> None:
        for blk in batch:
            file, offset = where.popleft()
            try:
                verify_block(blk.cid, blk.data)
            except CorruptBlockError as exc:
                raise CarError(f"block {blk.cid} in {file} (section at byte {offset} of the"
                               f" payload) does not match its CID ({exc})") from None

    with BlockWriter(pins, blocks, check=check) as writer:
        read_before = 0  # bytes of the files already read, for progress
        for source in sources:  # type: ignore[union-attr]
            with CarReader(source, verify=False) as car:
                result.roots.extend(r for r in car.roots if r not in result.roots)
                for sec in car.sections():
                    cid, data = sec.cid, sec.data
                    if cid.is_identity:
                        verify_block(cid, data)
                        continue
                    try:
                        links = links_of(cid, data)
                    except DecodeError as exc:
                        raise CarError(f"block {cid} in {car.name}: {exc}") from None
                    where.append((car.name, sec.offset))
                    writer.put(Block(cid, data, links=links))
                    result.blocks += 1
                    result.bytes += len(data)
                    if progress is not None:
                        progress(read_before + car.position)
                read_before += car.position
        if pin and result.roots:
            result.pins = writer.pin(result.roots, name=name, meta=meta, groups=groups,
                                     network=network)
    result.completed = writer.completed
    return result


def car_blocks(blocks: BlockGetter, path: CID | str, *, scope: str = "all",
               entity_bytes: ByteRange | str | None = None,
               dups: bool = False) -> tuple[Resolved, Iterator[tuple[CID, bytes]]]:
    """Resolve ``path`` and choose its blocks (see :func:`pinfold.exporter.select`).
    Resolution errors (a missing root block, a missing path entry) raise here, before
    any block is yielded."""
    resolved = resolve(blocks, path)
    return resolved, select(blocks, path, scope=scope, entity_bytes=entity_bytes,
                            dups=dups, resolved=resolved)


def car_stream(blocks: BlockGetter, path: CID | str, *, scope: str = "all",
               entity_bytes: ByteRange | str | None = None,
               dups: bool = False) -> Iterator[bytes]:
    """A CARv1 of ``path``, as lazily produced bytes: header root = the path's root CID,
    blocks depth-first in link order, identity blocks left out."""
    resolved, chosen = car_blocks(blocks, path, scope=scope, entity_bytes=entity_bytes,
                                  dups=dups)
    return car_v1([resolved.root], chosen)


def export_car(blocks: BlockGetter, path: CID | str, out: BinaryIO, *, version: int = 1,
               index: bool = True, scope: str = "all",
               entity_bytes: ByteRange | str | None = None, dups: bool = False,
               progress: Callable[[int], None] | None = None) -> int:
    """Write the CAR of ``path`` to ``out`` (CARv1, or CARv2 with an index); return the
    number of blocks written. With the defaults the bytes are those of Kubo's
    ``ipfs dag export <cid>``: the root in the header, every block once, depth-first in
    link order. ``progress`` is called with the block bytes written so far."""
    resolved, chosen = car_blocks(blocks, path, scope=scope, entity_bytes=entity_bytes,
                                  dups=dups)
    if progress is not None:
        chosen = _counting(chosen, progress)
    return write_car(out, [resolved.root], chosen, version=version, index=index)


def _counting(blocks: Iterator[tuple[CID, bytes]],
              progress: Callable[[int], None]) -> Iterator[tuple[CID, bytes]]:
    done = 0
    for cid, data in blocks:
        yield cid, data
        done += len(data)
        progress(done)
