"""Choosing the blocks of a DAG to send: the trustless-gateway ``dag-scope``,
``entity-bytes`` and ``dups`` rules, for CAR export.

:func:`select` yields ``(cid, block)`` pairs in the order a CAR carries them: first the blocks
that verify the path (each directory and HAMT shard walked from the root CID to the target),
then the target's blocks, depth-first in link order:

- ``scope="block"``: the target block alone.
- ``scope="entity"``: for a UnixFS file every block of the file (with ``entity_bytes``, only
  the blocks a verifier needs for that byte range); for a plain directory its one block; for
  a HAMT-sharded directory its shard blocks (not the entries); for anything else (raw,
  symlink, DAG-CBOR, DAG-JSON) the block alone.
- ``scope="all"``: the whole DAG under the target, following the links of every codec.

``dups=False`` sends each block once (``dups=n``); ``dups=True`` sends a block every time the
walk meets it (``dups=y``). Identity-CID blocks are yielded (a CAR writer leaves them out).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..block import BlockGetter, fetch
from ..cid import CID, DAG_PB
from ..codecs.unixfs import NodeType
from ..errors import DecodeError, InvalidOptionError
from ..numbers import INT64_MAX, parse_int
from . import hamt
from .files import checked_child
from .node import Node, checked_file_size, checked_links, decode, load
from .paths import IPFSPath, Resolved, resolve

SCOPES = ("block", "entity", "all")
_RANGE = re.compile(r"^(-?\d+):(\*|-?\d+)$")


@dataclass(frozen=True, slots=True)
class ByteRange:
    """An ``entity-bytes`` value: ``start`` (negative: from the end) and inclusive ``end``
    (``None`` for ``*``, negative: from the end)."""

    start: int
    end: int | None

    @classmethod
    def parse(cls, text: str) -> ByteRange:
        """Parse ``from:to`` (``0:*``, ``-1024:*``, ``499:-1000``, ``10:20``)."""
        m = _RANGE.match(text.strip()) if isinstance(text, str) else None
        if m is None:
            raise InvalidOptionError(
                f"invalid entity-bytes {text!r}: expected from:to with integers (negative"
                " counts from the end) and '*' for the end of the file"
            )
        start = parse_int(m.group(1), "entity-bytes from", minimum=-INT64_MAX)
        end = (None if m.group(2) == "*"
               else parse_int(m.group(2), "entity-bytes to", minimum=-INT64_MAX))
        if end is not None and start >= 0 and end >= 0 and end < start:
            raise InvalidOptionError(
                f"invalid entity-bytes {text!r}: 'to' ({end}) is before 'from' ({start})"
            )
        return cls(start, end)

    def resolve(self, size: int) -> tuple[int, int] | None:
        """The half-open ``[lo, hi)`` byte range within a file of ``size`` bytes, or ``None``
        when it is empty or entirely outside the file."""
        lo = self.start if self.start >= 0 else max(size + self.start, 0)
        if self.end is None:
            hi = size
        elif self.end >= 0:
            hi = min(self.end + 1, size)
        else:
            hi = size + self.end + 1
        if lo >= size or hi <= lo:
            return None
        return lo, hi

    def __str__(self) -> str:
        return f"{self.start}:{'*' if self.end is None else self.end}"


class _Recorder:
    """Remembers the blocks fetched while resolving a path, so they are not read twice."""

    def __init__(self, blocks: BlockGetter) -> None:
        self.blocks = blocks
        self.seen: dict[CID, bytes] = {}

    def get(self, cid: CID) -> bytes:
        data = self.seen.get(cid)
        if data is None:
            data = fetch(self.blocks, cid)
            self.seen[cid] = data
        return data


def select(blocks: BlockGetter, path: IPFSPath, *, scope: str = "all",
           entity_bytes: ByteRange | str | None = None, dups: bool = False,
           resolved: Resolved | None = None) -> Iterator[tuple[CID, bytes]]:
    """The blocks for ``path`` under the trustless-gateway rules (see the module doc).

    The path is resolved before this returns (a missing root or entry raises here); blocks
    further down are fetched while iterating and a missing one raises
    :class:`~pinfold.errors.BlockNotFoundError` then. ``entity_bytes`` implies
    ``scope="entity"``; on anything but a UnixFS file it is ignored. A range that is empty
    or entirely outside the file gives what ``scope="block"`` gives.
    """
    if scope not in SCOPES:
        raise InvalidOptionError(f"invalid dag-scope {scope!r} (use block, entity or all)")
    if isinstance(entity_bytes, str):
        entity_bytes = ByteRange.parse(entity_bytes)
    if entity_bytes is not None:
        scope = "entity"
    rec = _Recorder(blocks)
    if resolved is None:
        resolved = resolve(rec, path)
    target_block = rec.get(resolved.cid)  # a missing target fails before anything is sent
    return _select(rec, resolved, target_block, scope, entity_bytes, dups)


def _select(rec: _Recorder, resolved: Resolved, target_block: bytes, scope: str,
            entity_bytes: ByteRange | None, dups: bool) -> Iterator[tuple[CID, bytes]]:
    sent: set[CID] | None = None if dups else set()

    def emit(cid: CID, data: bytes) -> Iterator[tuple[CID, bytes]]:
        if sent is not None:
            if cid in sent:
                return
            sent.add(cid)
        yield cid, data

    for cid in resolved.path_cids:
        yield from emit(cid, rec.get(cid))
    rec.seen.clear()
    target = resolved.cid
    if scope == "block":
        yield from emit(target, target_block)
        return
    if scope == "all":
        yield from _dfs(rec.blocks, target, target_block, sent)
        return
    # entity
    if target.codec_code != DAG_PB:
        yield from emit(target, target_block)
        return
    try:
        node = decode(target, target_block)
    except DecodeError:  # dag-pb that is not UnixFS: not an entity we know, the block alone
        yield from emit(target, target_block)
        return
    if node.is_file:
        if entity_bytes is None:
            yield from _dfs(rec.blocks, target, target_block, sent)
        else:
            size = checked_file_size(node)
            span = entity_bytes.resolve(size)
            if span is None:
                yield from emit(target, target_block)
            else:
                yield from _file_range(rec.blocks, node, span[0], span[1], sent)
    elif node.fs.type == NodeType.HAMT_SHARD:
        yield from _hamt_shards(rec.blocks, node, sent)
    else:  # plain directory, symlink, metadata
        yield from emit(target, target_block)


def _dfs(blocks: BlockGetter, root: CID, root_block: bytes,
         sent: set[CID] | None) -> Iterator[tuple[CID, bytes]]:
    """Pre-order, link order, following every codec's links; ``sent`` dedups (None: dups)."""
    if sent is not None:
        if root in sent:
            return
        sent.add(root)
    yield root, root_block
    # a store may read ahead (Repo.prefetch): told which blocks come next, in order, and
    # when the walk is over (also when its reader stops early)
    prefetch = getattr(blocks, "prefetch", None)
    try:
        links = checked_links(root, root_block)
        if prefetch is not None and len(links) > 1:
            prefetch(links)
        stack: list[Iterator[CID]] = [iter(links)]
        while stack:
            for child in stack[-1]:
                if sent is not None:
                    if child in sent:
                        continue
                    sent.add(child)
                data = fetch(blocks, child)
                yield child, data
                links = checked_links(child, data)
                if prefetch is not None and len(links) > 1:
                    prefetch([c for c in links if sent is None or c not in sent])
                if links:
                    if len(stack) > 10_000:
                        raise DecodeError(f"the DAG under {root} is deeper than 10000 levels")
                    stack.append(iter(links))
                    break
            else:
                stack.pop()
    finally:
        done = getattr(blocks, "prefetch_done", None)
        if prefetch is not None and done is not None:
            done()


def _file_range(blocks: BlockGetter, root: Node, lo: int, hi: int,
                sent: set[CID] | None) -> Iterator[tuple[CID, bytes]]:
    """The blocks of the file under ``root`` that hold bytes ``[lo, hi)``: every node whose
    span overlaps the range, pre-order in link order (the root always)."""
    # pending children: (cid, absolute offset of its first byte, declared size, parent)
    stack: list[tuple[CID, int, int, Node]] = []
    node, base = root, 0
    while True:
        # A repeated subtree may have been only partly inside the range where it was met
        # first: with dups=n it is not sent again, but its children in range still are.
        if sent is None or node.cid not in sent:
            if sent is not None:
                sent.add(node.cid)
            yield node.cid, node.block
        if node.fs is not None and node.links:
            pos = base + len(node.fs.data or b"")
            wanted: list[tuple[CID, int, int, Node]] = []
            for link, size in zip(node.links, node.fs.blocksizes, strict=True):
                if pos >= hi:
                    break
                if size and pos + size > lo:
                    wanted.append((link.cid, pos, size, node))
                pos += size
            stack.extend(reversed(wanted))
        if not stack:
            return
        cid, base, size, parent = stack.pop()
        # the whole node, not files._child's leaf data: the block itself is selected
        node = checked_child(load(blocks, cid), parent, size)


def _hamt_shards(blocks: BlockGetter, shard: Node,
                 sent: set[CID] | None) -> Iterator[tuple[CID, bytes]]:
    """A HAMT directory's own blocks: the root shard and its sub-shards, pre-order."""
    params = hamt.shard_params(shard)
    stack: list[Node] = [shard]
    while stack:
        node = stack.pop()
        if sent is not None:
            if node.cid in sent:
                continue
            sent.add(node.cid)
        yield node.cid, node.block
        subs = [lk for lk in node.links if len(lk.name_bytes) == params.width]
        stack.extend(reversed([hamt.load_subshard(blocks, lk, node, params) for lk in subs]))
