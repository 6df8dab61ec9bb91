"""The importer: sources in, a stream of blocks out, and the root CID.

Data flows one way: source → chunker → layout → stream of :class:`~pinfold.block.Block`.
The importer never knows where blocks go; :func:`add` hands them to a store, and
:func:`cid_of` to a store that keeps nothing.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Protocol

from ..block import Block
from ..cid import CID
from ..codecs.unixfs import Mtime
from ..errors import ImportSourceError
from . import hamt
from .dag import CidBuilder, DirLink, Node, data_file_node, directory_node, leaf, symlink_node
from .layout import balanced, trickle
from .options import ImportOptions, Params
from .source import (
    DirSource,
    Entry,
    FileSource,
    ImportedSource,
    PathOptions,
    Source,
    SymlinkSource,
    bytes_source,
    entries_sources,
    path_source,
    stream_source,
)

Built = Generator[Block, None, Node]


@dataclass(frozen=True)
class AddedEntry:
    """One imported file, directory or symlink, as ``ipfs add`` reports it."""

    path: str
    cid: CID
    size: int  # cumulative DAG size (Kubo's "Size")
    bytes: int  # file bytes (0 for directories and symlinks)
    kind: str  # "file", "directory" or "symlink"


@dataclass(frozen=True)
class ProgressEvent:
    """Reported after every chunk: the file, its bytes read so far, and the import's total."""

    path: str
    file_bytes: int
    total_bytes: int


@dataclass
class ImportResult:
    root: CID | None = None
    entries: list[AddedEntry] = field(default_factory=list)
    roots: list[AddedEntry] = field(default_factory=list)  # one per top-level input
    blocks: int = 0
    bytes: int = 0  # sum of block sizes (duplicates counted each time)


class BlockSink(Protocol):
    """Where a stream of blocks goes (:func:`add` hands every block to one): a blockstore, the
    repo's :class:`~pinfold.repo.writer.BlockWriter`, anything with ``put``. A block's
    :attr:`~pinfold.block.Block.links`, when not ``None``, are its links; a sink that batches
    says how to wait for what it holds (the repo's writer: ``finish``)."""

    def put(self, block: Block) -> Any: ...


ProgressCallback = Callable[[ProgressEvent], None]


class ImportJob:
    """An import in progress: iterate it for the blocks; :attr:`result` is complete after."""

    def __init__(self, gen: Iterator[Block], result: ImportResult) -> None:
        self._gen = gen
        self.result = result

    def __iter__(self) -> Iterator[Block]:
        return self._gen

    def __next__(self) -> Block:
        return next(self._gen)


class Importer:
    """Imports sources with one set of options. ``progress`` is called after each chunk."""

    def __init__(
        self,
        options: ImportOptions | None = None,
        *,
        progress: ProgressCallback | None = None,
        recursive: bool = True,
        **kwargs: Any,
    ) -> None:
        self.options = ImportOptions.from_kwargs(options, **kwargs)
        self.params: Params = self.options.resolve()
        p = self.params
        self.builder = CidBuilder(p.cid_version, p.hash, p.inline_limit)
        self.progress = progress
        self.recursive = recursive
        self._total = 0

    # -- public -------------------------------------------------------------------------
    def import_(self, source: Any, *, name: str | None = None) -> ImportJob:
        """Start importing ``source`` (bytes, stream, path, list of paths or entries)."""
        sources = self.sources(source, name)
        result = ImportResult()
        return ImportJob(self._run(sources, result), result)

    def sources(self, source: Any, name: str | None = None) -> list[Source]:
        """Normalise any supported input into top-level sources (checks paths up front)."""
        srcs = self._sources(source, name)
        p = self.params
        if p.mode is not None or p.mtime is not None:
            _apply_default_attrs(srcs, p.mode, p.mtime)
        return srcs

    def _sources(self, source: Any, name: str | None) -> list[Source]:
        if isinstance(source, bytes | bytearray | memoryview):
            return [bytes_source(source, name or "")]
        if isinstance(source, str | os.PathLike):
            return [path_source(source, self._path_options())]
        if hasattr(source, "read"):
            return [stream_source(source, name or "")]
        if isinstance(source, FileSource | DirSource | SymlinkSource | ImportedSource):
            return [source]
        if isinstance(source, Iterable):
            items = list(source)
            if items and all(isinstance(i, str | os.PathLike) for i in items):
                popts = self._path_options()
                return [path_source(i, popts) for i in items]
            if all(isinstance(i, FileSource | DirSource | SymlinkSource | ImportedSource)
                   for i in items):
                return items
            if all(isinstance(i, Entry | dict) for i in items):
                return entries_sources(items)
        raise ImportSourceError(
            f"cannot import a {type(source).__name__}: give bytes, a binary stream, a path,"
            " or a list of paths or entries"
        )

    # -- internals ----------------------------------------------------------------------
    def _path_options(self) -> PathOptions:
        p = self.params
        return PathOptions(
            recursive=self.recursive, hidden=p.hidden,
            dereference_symlinks=p.dereference_symlinks, preserve_mode=p.preserve_mode,
            preserve_mtime=p.preserve_mtime, mode=p.mode, mtime=p.mtime,
        )

    def _run(self, sources: list[Source], result: ImportResult) -> Iterator[Block]:
        p = self.params
        pool = _LeafPool(p.workers)
        try:
            if p.wrap_with_directory:
                # Repeated arguments collapse into one entry, as in Kubo.
                seen: dict[str, Source] = {}
                for s in sources:
                    seen[s.name] = s
                wrapper = DirSource("", list(seen.values()), p.mode, p.mtime, "")
                sources = [wrapper]
            for src in sources:
                top = src.name if not p.wrap_with_directory else ""
                gen = self._node(src, top, result, pool, is_root=True)
                node = yield from _counting(gen, result)
                cid = CID.from_bytes(node.cid)
                entry = result.entries[-1] if result.entries else None
                if entry is None or entry.cid != cid:  # pragma: no cover - defensive
                    entry = AddedEntry(top, cid, node.tsize, node.filesize, "file")
                result.roots.append(entry)
                result.root = cid
        finally:
            pool.close()

    def _node(self, src: Source, path: str, result: ImportResult, pool: _LeafPool,
              is_root: bool = False) -> Built:
        if isinstance(src, FileSource):
            with src.open() as stream:
                node = yield from self._file(stream, src, path, pool)
            kind = "file"
        elif isinstance(src, SymlinkSource):
            node, blk = symlink_node(self.builder, src.target, src.mtime)
            yield blk
            kind = "symlink"
        elif isinstance(src, ImportedSource):  # built already: linked, not read
            node = Node(src.cid.bytes, src.tsize, src.filesize, src.cid)
            kind = src.kind
        else:
            node = yield from self._directory(src, path, result, pool, is_root)
            kind = "directory"
        if not path and kind == "file" and not self.params.wrap_with_directory:
            path = CID.from_bytes(node.cid).encode()  # stdin/bytes: named by its CID, as Kubo
        result.entries.append(
            AddedEntry(path, CID.from_bytes(node.cid), node.tsize, node.filesize, kind)
        )
        return node

    def _file(self, stream: BinaryIO, src: FileSource, path: str, pool: _LeafPool) -> Built:
        p = self.params
        b = self.builder
        mode, mtime = src.mode, src.mtime
        attrs = bool(mode) or mtime is not None
        chunks = p.chunker.chunks(stream)
        first = next(chunks, None)
        if first is None:  # empty file
            if p.raw_leaves and not attrs and p.layout == "balanced" \
                    and p.reduce_single_leaf_to_self:
                node, blk = leaf(b, b"", True, p.leaf_type)
            else:
                node, blk = data_file_node(b, b"", mode, mtime)
            yield blk
            return node
        done = len(first)
        self._report(path, done, len(first))
        second = next(chunks, None)
        if second is None and p.layout == "balanced" and p.reduce_single_leaf_to_self:
            if attrs:  # metadata needs a dag-pb node even where leaves are raw
                if p.raw_leaves:
                    # Helia stores the raw leaf before wrapping it; keep its block stream.
                    yield leaf(b, first, True, p.leaf_type)[1]
                node, blk = data_file_node(b, first, mode, mtime)
            else:
                node, blk = leaf(b, first, p.raw_leaves, p.leaf_type)
            yield blk
            return node

        def all_chunks() -> Iterator[bytes]:
            nonlocal done
            yield first
            if second is not None:
                done += len(second)
                self._report(path, done, len(second))
                yield second
                for c in chunks:
                    done += len(c)
                    self._report(path, done, len(c))
                    yield c

        leaves = pool.map(lambda c: leaf(b, c, p.raw_leaves, p.leaf_type), all_chunks())
        if p.layout == "trickle":
            return (yield from trickle(leaves, b, p.max_links, p.layer_repeat, mode, mtime))
        return (yield from balanced(leaves, b, p.max_links, mode, mtime))

    def _report(self, path: str, file_bytes: int, delta: int) -> None:
        self._total += delta
        if self.progress is not None:
            self.progress(ProgressEvent(path, file_bytes, self._total))

    def _directory(self, src: DirSource, path: str, result: ImportResult, pool: _LeafPool,
                   is_root: bool) -> Built:
        p = self.params
        links: list[DirLink] = []
        for child in src.iter_children():
            child_path = f"{path}/{child.name}" if path else child.name
            if isinstance(child, DirSource) and not p.empty_dirs:
                child = _nonempty(child)
                if child is None:
                    continue
            node = yield from self._node(child, child_path, result, pool)
            links.append((os.fsencode(child.name) if isinstance(child.name, str)
                          else child.name, node.cid, node.tsize, node.ref))
        names = [e[0] for e in links]
        if len(set(names)) != len(names):
            raise ImportSourceError(f"directory {path or '/'} has two entries with one name")
        if self._shard(links, src):
            return (yield from hamt.build_shard(self.builder, links, p.hamt_fanout,
                                                src.mode, src.mtime))
        node, blk = directory_node(self.builder, links, src.mode, src.mtime)
        yield blk
        return node

    def _shard(self, links: list[DirLink], src: DirSource) -> bool:
        p = self.params
        if p.directory_max_links and len(links) > p.directory_max_links:
            return True
        if p.hamt_threshold == 0 or p.hamt_estimation == "disabled":
            return False
        size = hamt.estimated_size(links, p.hamt_estimation, src.mode, src.mtime)
        return size > p.hamt_threshold


def _nonempty(d: DirSource) -> DirSource | None:
    kids = list(d.iter_children())
    return DirSource(d.name, kids, d.mode, d.mtime, d.path) if kids else None


def _apply_default_attrs(srcs: list[Source], mode: int | None, mtime: Mtime | None) -> None:
    for s in srcs:
        if isinstance(s, ImportedSource):
            continue
        if isinstance(s, SymlinkSource):
            if s.mtime is None:
                s.mtime = mtime
            continue
        if s.mode is None:
            s.mode = mode
        if s.mtime is None:
            s.mtime = mtime
        if isinstance(s, DirSource) and isinstance(s.children, list):
            _apply_default_attrs(s.children, mode, mtime)


def _counting(gen: Built, result: ImportResult) -> Built:
    """Pass blocks through while counting them; return what ``gen`` returns."""
    try:
        blk = next(gen)
        while True:
            result.blocks += 1
            result.bytes += blk.size
            yield blk
            blk = next(gen)
    except StopIteration as stop:
        return stop.value


class _LeafPool:
    """Builds leaves on worker threads (hashlib releases the GIL), results in order.

    At most ``2 × workers`` chunks are in flight, so memory stays bounded.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ThreadPoolExecutor | None = None

    def map(self, fn: Callable[[bytes], Any], items: Iterator[bytes]) -> Iterator[Any]:
        if self.workers <= 1:
            return map(fn, items)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="pinfold-hash")
        return self._ordered(fn, items, self._pool)

    def _ordered(self, fn, items, pool) -> Iterator[Any]:
        window: deque[Future] = deque()
        limit = self.workers * 2
        for item in items:
            window.append(pool.submit(fn, item))
            if len(window) >= limit:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


# -- convenience API ---------------------------------------------------------------------
def iter_blocks(source: Any, options: ImportOptions | None = None, **kwargs: Any) -> ImportJob:
    """Import ``source`` and iterate its blocks; the job's ``result`` has the root after."""
    progress = kwargs.pop("progress", None)
    return Importer(options, progress=progress, **kwargs).import_(source)


def add(source: Any, store: BlockSink | None = None, options: ImportOptions | None = None,
        **kwargs: Any) -> ImportResult:
    """Import ``source``, putting every block into ``store`` (or nowhere); return the result."""
    job = iter_blocks(source, options, **kwargs)
    if store is None:
        for _ in job:
            pass
    else:
        put = store.put
        for blk in job:
            put(blk)
    return job.result


def cid_of(source: Any, options: ImportOptions | None = None, **kwargs: Any) -> CID:
    """The root CID ``ipfs add --only-hash`` would print for ``source``; nothing is stored.

    ``source`` is bytes, a binary stream, a path (directories need ``recursive=True``, the
    default here), or a list of :class:`Entry`. Options are :class:`ImportOptions` fields
    (``cid_version=1``, ``chunker="buzhash"``, ``profile="unixfs-v1-2025"``, ...).
    """
    result = add(source, None, options, **kwargs)
    if result.root is None:
        raise ImportSourceError("nothing to import")
    return result.root


def cid_of_json(value: Any, options: ImportOptions | None = None, **kwargs: Any) -> CID:
    """CID of ``value`` stored as a UnixFS file of its compact JSON text (Pinata's
    ``pinJSONToIPFS``)."""
    return cid_of(json_bytes(value), options, **kwargs)


def json_bytes(value: Any) -> bytes:
    """``JSON.stringify(value)``: compact separators, non-ASCII kept as UTF-8."""
    import json

    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise ImportSourceError(f"value is not JSON: {exc}") from None


__all__ = [
    "AddedEntry", "BlockSink", "ImportJob", "ImportResult", "Importer", "ProgressEvent", "add",
    "cid_of", "cid_of_json", "iter_blocks", "json_bytes",
]
