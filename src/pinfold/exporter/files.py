"""Reading UnixFS file bytes, whole or by range, without holding the file in memory."""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterator

from ..block import BlockGetter, fetch
from ..cid import CID, DAG_PB, RAW
from ..codecs.unixfs import NodeType, dagpb_leaf_frame
from ..errors import DecodeError, NotAFileError, PinfoldError
from .node import Node, checked_file_size, decode, load
from .paths import IPFSPath, Resolved, resolve


def _check_range(offset: int, length: int | None) -> tuple[int, int | None]:
    offset = operator.index(offset)
    if offset < 0:
        raise PinfoldError(f"offset must be 0 or more, got {offset}")
    if length is not None:
        length = operator.index(length)
        if length < 0:
            raise PinfoldError(f"length must be 0 or more (or None for the rest), got {length}")
    return offset, length


def file_node(blocks: BlockGetter, target: Resolved) -> Node:
    """Fetch the root node of a file; anything else raises :class:`NotAFileError`."""
    cid = target.cid
    if cid.codec_code not in (DAG_PB, RAW):
        raise NotAFileError(
            f"{target.path} is a {cid.codec} block, not a UnixFS file"
        )
    node = load(blocks, cid)
    if not node.is_file:
        raise NotAFileError(f"{target.path} is a {_kind_name(node)}, not a file")
    return node


def _kind_name(node: Node) -> str:
    return "directory" if node.is_dir else node.kind


def read(blocks: BlockGetter, root: Node, start: int, end: int, *,
         buffers: bool = False) -> Iterator[bytes]:
    """Stream the bytes ``[start, end)`` of the file rooted at ``root`` (already fetched).

    ``buffers=True`` yields a leaf's data as a ``memoryview`` into its block instead of a
    copy (for a writer that hands each piece straight to ``write``: a 256 KiB copy a leaf
    was ~10% of ``pinfold cat``).

    Children whose byte range (from the parent's UnixFS ``blocksizes``) lies outside the
    range are skipped without being fetched, so a small read of a large file fetches one
    root-to-leaf path per leaf it touches. Every fetched child must be a file node whose size
    equals what its parent's ``blocksizes`` say; otherwise :class:`DecodeError`. Nodes are
    visited with an explicit stack (no recursion limit on deep DAGs); only CIDs and offsets
    are queued, never block data.
    """
    prefetch = getattr(blocks, "prefetch", None)
    if prefetch is None:
        return _read(blocks, root, start, end, None, buffers)
    return _with_read_ahead(blocks, _read(blocks, root, start, end, prefetch, buffers))


def _with_read_ahead(blocks: BlockGetter, chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Tell the store when the reader is done, also when it stops early (``close()``, an
    exception, or garbage collection of the generator), so its read-ahead is dropped."""
    try:
        yield from chunks
    finally:
        done = getattr(blocks, "prefetch_done", None)
        if done is not None:
            done()


def _read(blocks: BlockGetter, root: Node, start: int, end: int,
          prefetch, buffers: bool) -> Iterator[bytes]:
    pending: list[tuple[CID, int, int]] = []  # (cid, absolute offset, declared size)
    # a store may read ahead (Repo.prefetch): told which children come next, in order
    node: Node | bytes | memoryview = root  # bytes or a view: a leaf's data (_child checked it)
    base = 0
    checked_file_size(root)
    while True:
        leaf = not isinstance(node, Node)
        if leaf or node.fs is None:
            data = node if leaf else node.block
            lo, hi = max(start - base, 0), min(end - base, len(data))
            if lo < hi:
                yield data if (lo, hi) == (0, len(data)) else data[lo:hi]
        else:
            data = node.fs.data or b""
            if data:
                lo, hi = max(start - base, 0), min(end - base, len(data))
                if lo < hi:
                    yield data if (lo, hi) == (0, len(data)) else data[lo:hi]
            pos = base + len(data)
            wanted: list[tuple[CID, int, int]] = []
            for link, size in zip(node.links, node.fs.blocksizes, strict=True):
                if pos >= end:
                    break
                if size and pos + size > start:
                    wanted.append((link.cid, pos, size))
                pos += size
            pending.extend(reversed(wanted))
            if prefetch is not None and len(wanted) > 1:
                prefetch([c for c, _, _ in wanted])
        if not pending:
            return
        cid, base, expected = pending.pop()
        node = _child(blocks, cid, node, expected, buffers)


def _child(blocks: BlockGetter, cid: CID, parent: Node, expected: int,
           buffers: bool) -> Node | bytes | memoryview:
    """Fetch a child of ``parent`` that should hold ``expected`` bytes of the file: a node,
    or for a leaf its data (bytes, or with ``buffers`` a view into the block)."""
    block = fetch(blocks, cid)
    if cid.codec_code == RAW and len(block) == expected:
        return block
    if cid.codec_code == DAG_PB:
        data = _leaf_data(block, expected, buffers)
        if data is not None:
            return data
    return checked_child(decode(cid, block), parent, expected)


def checked_child(node: Node, parent: Node, expected: int) -> Node:
    """``node``, a child of the file node ``parent``; it must be a file node holding
    ``expected`` bytes, as the parent's blocksizes say."""
    cid = node.cid
    if not node.is_file:
        raise DecodeError(
            f"corrupt file DAG: {parent.cid} links to {cid}, a {_kind_name(node)} node"
        )
    actual = checked_file_size(node)
    if actual != expected:
        raise DecodeError(
            f"corrupt file DAG: {parent.cid} says child {cid} holds {expected} bytes, it holds"
            f" {actual}"
        )
    return node


@functools.lru_cache(maxsize=64)
def _leaf_frames(size: int) -> tuple[bytes, bytes, bytes]:
    """The bytes around ``size`` bytes of data in a DAG-PB leaf as importers write it,
    ``PBNode{Data: Data{Type: File or Raw, Data, filesize}}``: both heads, and the tail."""
    head, tail = dagpb_leaf_frame(size, NodeType.FILE)
    raw_head, _ = dagpb_leaf_frame(size, NodeType.RAW)
    return head, raw_head, tail


def _leaf_data(block: bytes, size: int, buffers: bool) -> bytes | memoryview | None:
    """The data of a DAG-PB leaf holding ``size`` bytes, if ``block`` is framed exactly as
    importers write one (else None: decode it in full). The frame fixes every field, so this is
    what decoding would give, in one copy instead of three (the hot path of reading a file
    whose leaves are not raw)."""
    head, raw_head, tail = _leaf_frames(size)
    n = len(head)
    if len(block) != n + size + len(tail) or not block.endswith(tail):
        return None
    if not (block.startswith(head) or block.startswith(raw_head)):
        return None
    return memoryview(block)[n : n + size] if buffers else block[n : n + size]


def cat(blocks: BlockGetter, path: IPFSPath, offset: int = 0,
        length: int | None = None, *, buffers: bool = False) -> Iterator[bytes]:
    """Stream the bytes of the file at ``path``, from ``offset``, at most ``length`` bytes.
    ``buffers=True``: pieces may be ``memoryview`` objects into the blocks (no copy; for
    a caller that writes each piece out, as ``pinfold cat`` does).

    Arguments are checked, the path resolved and the file's root block fetched before this
    returns, so those errors are raised here; block errors deeper in the file are raised while
    iterating. Reads raw-codec roots and leaves, DAG-PB leaves (UnixFS File and Raw types),
    balanced and trickle layouts, and nodes that carry data as well as children.

    - ``offset < 0`` or ``length < 0`` raise :class:`PinfoldError`; an offset at or past the
      end gives nothing; ``length=None`` reads to the end.
    - A directory, symlink or non-UnixFS block raises :class:`NotAFileError`.
    - A file whose blocks disagree about sizes raises :class:`DecodeError`.
    """
    offset, length = _check_range(offset, length)
    target = resolve(blocks, path)
    root = file_node(blocks, target)
    size = checked_file_size(root)
    end = size if length is None else min(size, offset + length)
    if offset >= end:
        return iter(())
    return read(blocks, root, offset, end, buffers=buffers)


def cat_bytes(blocks: BlockGetter, path: IPFSPath, offset: int = 0,
              length: int | None = None) -> bytes:
    """:func:`cat` joined into one ``bytes`` (for small files)."""
    return b"".join(cat(blocks, path, offset, length))


__all__ = ["cat", "cat_bytes", "read"]
