"""A repo: a blockstore and a pin set in one directory, with a format version.

Layout of a repo directory::

    config.json     {"format": "pinfold-repo", "version": 1, "backend": "fs"|"lmdb", ...}
    blocks/         the blockstore (flatfs files, or an LMDB environment)
    pins.sqlite     pins, reference counts, gc candidates, import leases
"""

from __future__ import annotations

import json
import os
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..block import Block
from ..blockstore import BaseBlockstore, FlatFSBlockstore, LMDBBlockstore, MemoryBlockstore
from ..cid import CID, DAG_PB, RAW, codec_code, get_hash
from ..codecs.links import links_of
from ..errors import BlockNotFoundError, InvalidOptionError, PinfoldError, UnsupportedHashError
from ..importer import Importer, ImportJob, ImportOptions, ImportResult
from ..pins import GCResult, Pin, PinSet, Problem
from .interchange import Interchange

FORMAT = "pinfold-repo"
VERSION = 1
BACKENDS = ("fs", "lmdb", "memory")
_BATCH_BLOCKS = 512
_BATCH_BYTES = 32 << 20


class RepoError(PinfoldError):
    """A repo that cannot be opened or created."""


def default_repo_path() -> str:
    return os.environ.get("PINFOLD_REPO") or os.path.join(os.path.expanduser("~"), ".pinfold")


@dataclass(frozen=True)
class RepoStat:
    blocks: int
    bytes: int
    pinned_bytes: int
    pins: int
    path: str
    backend: str
    version: int


class Repo(Interchange):
    """Blocks, pins and garbage collection in one place.

    ``Repo.init(path, backend="fs"|"lmdb")`` creates one; ``Repo(path)`` opens it (``create=True``
    to create it if missing). ``Repo.memory()`` keeps everything in memory.
    """

    def __init__(self, path: str | os.PathLike | None = None, *, create: bool = False,
                 backend: str = "fs", fsync: bool = True) -> None:
        self.path = os.fspath(path) if path is not None else default_repo_path()
        cfg_path = os.path.join(self.path, "config.json")
        if not os.path.exists(cfg_path):
            if not create:
                raise RepoError(f"no pinfold repo at {self.path} (run 'pinfold init')")
            self._write_config(backend, fsync)
        self.config = self._read_config(cfg_path)
        self.backend = self.config["backend"]
        self.fsync = bool(self.config.get("fsync", True))
        self.blocks = self._open_blocks()
        self.pins = PinSet(os.path.join(self.path, "pins.sqlite"), self.blocks)
        if isinstance(self.blocks, FlatFSBlockstore):
            self.blocks.clean_temporaries()

    @classmethod
    def init(cls, path: str | os.PathLike, *, backend: str = "fs", fsync: bool = True) -> Repo:
        path = os.fspath(path)
        if os.path.exists(os.path.join(path, "config.json")):
            raise RepoError(f"a pinfold repo already exists at {path}")
        return cls(path, create=True, backend=backend, fsync=fsync)

    @classmethod
    def memory(cls) -> Repo:
        """A repo held in memory (and a temporary SQLite pin set): for tests and scratch work."""
        self = object.__new__(cls)
        self.path = ":memory:"
        self.config = {"format": FORMAT, "version": VERSION, "backend": "memory"}
        self.backend = "memory"
        self.fsync = False
        self.blocks = MemoryBlockstore()
        self.pins = PinSet(":memory:", self.blocks)
        return self

    def _write_config(self, backend: str, fsync: bool) -> None:
        if backend not in ("fs", "lmdb"):
            raise RepoError(f"unknown backend {backend!r} (use fs or lmdb)")
        os.makedirs(self.path, exist_ok=True)
        cfg = {"format": FORMAT, "version": VERSION, "backend": backend, "fsync": fsync}
        tmp = os.path.join(self.path, "config.json.tmp")
        with open(tmp, "w") as f:
            json.dump(cfg, f, indent=2)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, os.path.join(self.path, "config.json"))

    def _read_config(self, cfg_path: str) -> dict[str, Any]:
        try:
            with open(cfg_path) as f:
                cfg = json.load(f)
        except (OSError, ValueError) as exc:
            raise RepoError(f"cannot read {cfg_path}: {exc}") from None
        if not isinstance(cfg, dict) or cfg.get("format") != FORMAT:
            raise RepoError(f"{self.path} is not a pinfold repo")
        if cfg.get("version") != VERSION:
            raise RepoError(
                f"repo at {self.path} has format version {cfg.get('version')}; this pinfold"
                f" reads version {VERSION} and will not rewrite it"
            )
        if cfg.get("backend") not in ("fs", "lmdb"):
            raise RepoError(f"repo at {self.path} has unknown backend {cfg.get('backend')!r}")
        return cfg

    def _open_blocks(self) -> BaseBlockstore:
        where = os.path.join(self.path, "blocks")
        if self.backend == "lmdb":
            return LMDBBlockstore(where, fsync=self.fsync)
        return FlatFSBlockstore(where, fsync=self.fsync)

    def close(self) -> None:
        pre = self.__dict__.pop("_prefetcher", None)
        if pre is not None:
            pre.close()
        self.pins.close()
        self.blocks.close()

    def __enter__(self) -> Repo:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- adding -------------------------------------------------------------------------
    def add(self, source: Any, *, pin: bool = True, name: str = "",
            options: ImportOptions | None = None, progress=None,
            meta: dict[str, Any] | None = None, groups: Iterable[str] = (),
            **kwargs: Any) -> ImportResult:
        """Import ``source``, store its blocks and (by default) pin every top-level root
        recursively. Blocks of an import in progress are never collected."""
        recursive = kwargs.pop("recursive", True)
        importer = Importer(options, progress=progress, recursive=recursive, **kwargs)
        from ..pins.meta import check_meta

        check_meta(meta)  # bad metadata fails before any work
        return self.store(importer.import_(source), pin=pin, name=name, meta=meta,
                          groups=groups)

    def store(self, job: ImportJob, *, pin: bool = True, name: str = "",
              on_block: Callable[[Block], None] | None = None,
              meta: dict[str, Any] | None = None, groups: Iterable[str] = ()) -> ImportResult:
        """Store the blocks of an import job as they come, then pin its roots.

        Batches are written by a background thread while the importer reads and hashes the
        next ones (file I/O, fsync and hashlib all release the GIL)."""
        with self.pins.lease() as lease, _BatchWriter(self, lease) as writer:
            batch: list[tuple[Block, list[CID]]] = []
            size = 0
            for blk in job:
                batch.append((blk, _block_links(blk)))
                size += blk.size
                if len(batch) >= _BATCH_BLOCKS or size >= _BATCH_BYTES:
                    writer.submit(batch)
                    batch, size = [], 0
                if on_block is not None:
                    on_block(blk)
            writer.submit(batch)
            writer.finish()
            if pin:
                for entry in job.result.roots:
                    self.pins.add(entry.cid, name=name, lease=lease, meta=meta,
                                  groups=groups)
        self.pins.complete_queued()
        return job.result

    def _store(self, lease, batch: list[tuple[Block, list[CID]]]) -> None:
        if not batch:
            return
        lease.record((blk.cid, links) for blk, links in batch)  # committed before the bytes
        self.blocks.put_many(blk for blk, _ in batch)

    # -- blocks -------------------------------------------------------------------------
    def block_put(self, data: bytes, *, codec: str | int = "raw", hash: str = "sha2-256",
                  cid_version: int = 1, pin: bool = False) -> CID:
        """Store one block as is; unreferenced (collectable) unless ``pin``."""
        try:
            fn = get_hash(hash)
        except UnsupportedHashError as exc:
            raise InvalidOptionError(str(exc)) from None
        code = codec_code(codec)
        if cid_version == 0:
            if code != DAG_PB or fn.name != "sha2-256":
                raise InvalidOptionError("CIDv0 is only for dag-pb blocks hashed with sha2-256")
            cid = CID.v0(fn.multihash(data))
        else:
            cid = CID.v1(code, fn.multihash(data))
        links = links_of(cid, data) if code != RAW else []
        blk = Block(cid, bytes(data))
        with self.pins.lease() as lease:
            self._store(lease, [(blk, links)])
            if pin:
                self.pins.add(cid, type="direct" if not links else "recursive")
        self.pins.complete_queued()
        return cid

    def block_get(self, cid: CID | str) -> bytes:
        return self.blocks.get(CID(cid))

    def block_stat(self, cid: CID | str) -> tuple[CID, int]:
        cid = CID(cid)
        size = self.blocks.size_of(cid.multihash)
        if size is None:
            if cid.multihash[:1] == b"\x00":
                return cid, len(cid.digest)
            raise BlockNotFoundError(cid)
        return cid, size

    def block_rm(self, cid: CID | str, *, force: bool = False) -> bool:
        """Delete a block; refused while anything keeps it (pinned or inside a pinned DAG)."""
        cid = CID(cid)
        with self.pins.tx():
            kind = self.pins.pinned_type(cid)
            if kind is not None and not force:
                raise PinfoldError(f"cannot remove {cid}: pinned ({kind})")
            if not self.blocks.has(cid):
                raise BlockNotFoundError(cid)
            removed = self.blocks.delete(cid)
            self.pins.forget(cid.multihash)
            return removed

    def has(self, cid: CID | str) -> bool:
        return self.blocks.has(CID(cid))

    def get(self, cid: CID) -> bytes:
        """The verified bytes of a block (the read interface the exporter uses)."""
        pre = self.__dict__.get("_prefetcher")
        if pre is not None:
            data = pre.take(cid)
            if data is not None:
                return data
        return self.blocks.get(cid)

    def prefetch(self, cids: list[CID]) -> None:
        """Hint: these blocks are read next, in this order, before anything asked earlier.
        They are read and verified on worker threads (hashlib releases the GIL)."""
        pre = self.__dict__.get("_prefetcher")
        if pre is None:
            pre = self._prefetcher = _Prefetcher(self.blocks)
        pre.request(cids)

    def prefetch_done(self) -> None:
        """The reader that asked for read-ahead is done (or abandoned its read): drop what
        it asked for, so an abandoned read does not keep the read-ahead window full."""
        pre = self.__dict__.get("_prefetcher")
        if pre is not None:
            pre.reset()

    # -- pins ---------------------------------------------------------------------------
    def pin(self, cid: CID | str, *, name: str = "", recursive: bool = True,
            meta: dict[str, Any] | None = None, groups: Iterable[str] = (),
            queue: bool = False) -> Pin:
        """Pin a CID; ``queue=True`` records it as ``queued`` if its blocks are missing."""
        return self.pins.add(CID(cid), name=name, type="recursive" if recursive else "direct",
                             meta=meta, groups=groups, queue=queue)

    def unpin(self, cid: CID | str | None = None, *, pin_id: str | None = None,
              name: str | None = None) -> list[Pin]:
        return self.pins.remove(cid, pin_id=pin_id, name=name)

    def gc(self, *, full: bool = False) -> GCResult:
        return self.pins.gc(full=full)

    # -- checks and stats ---------------------------------------------------------------
    def verify(self) -> list[Problem]:
        """Every stored block hashes to its key; every pinned DAG is complete and intact;
        the reference counts agree with the pins."""
        problems: list[Problem] = []
        for mh in self.blocks.keys():
            data = self.blocks._get(mh)
            if data is None:
                continue
            row = self.pins.conn.execute("SELECT cid FROM refs WHERE mh = ?", (mh,)).fetchone()
            cid = CID.from_bytes(row[0]) if row else CID.v1(RAW, mh)
            try:
                from ..blockstore import verify

                verify(cid, data)
            except PinfoldError as exc:
                problems.append(Problem("corrupt", cid, str(exc)))
        problems.extend(self.pins.verify_pins())
        problems.extend(self.pins.check_counts())
        return problems

    def stat(self) -> RepoStat:
        count, total = self.blocks.stat()
        pinned = 0
        for mh in self.pins.kept_keys():
            size = self.blocks.size_of(mh)
            pinned += size or 0
        return RepoStat(count, total, pinned, self.pins.stats()["pins"], self.path, self.backend,
                        VERSION)

    def iter_blocks(self) -> Iterator[bytes]:
        return self.blocks.keys()


class _Prefetcher:
    """Reads and verifies blocks ahead of a sequential reader, on worker threads.

    ``queue`` holds what was requested in the order the reader will want it: the most recent
    request first (a depth-first reader asks for a node's children before going on with the
    node's siblings, which were asked for earlier). Reads are started for the first
    ``window`` entries of that order; reads started earlier for entries that newer requests
    pushed further back keep their result until it is taken (at most ``window`` per level of
    the DAG). So the children of the node just read are always read ahead, however many
    siblings its ancestors have: counting every started read against the window, the 23
    other children of a 1 GiB file's root filled it and no leaf was ever read ahead."""

    def __init__(self, blocks: BaseBlockstore, workers: int = 2, window: int = 16) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.blocks = blocks
        self.window = window
        self.queue: deque[CID] = deque()
        self.inflight: dict[bytes, Any] = {}  # started reads, by multihash
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="pinfold-read")

    def request(self, cids: list[CID]) -> None:
        self.queue.extendleft(reversed([c for c in cids if c.multihash[:1] != b"\x00"]))
        self._fill()

    def _fill(self) -> None:
        inflight, submit, get = self.inflight, self.pool.submit, self.blocks.get
        for i, cid in enumerate(self.queue):
            if i >= self.window:
                break
            if cid.multihash not in inflight:
                inflight[cid.multihash] = submit(get, cid)

    def take(self, cid: CID) -> bytes | None:
        mh = cid.multihash
        fut = self.inflight.pop(mh, None)
        queue = self.queue
        if queue and queue[0].multihash == mh:
            queue.popleft()
        elif fut is not None:
            try:
                queue.remove(cid)  # taken out of order (rare): drop its entry
            except ValueError:
                pass
        if fut is None:
            return None
        self._fill()
        return fut.result()

    def reset(self) -> None:
        """Forget every request: a reader finished or gave up. Reads in flight finish on
        their own and are dropped; later gets read directly until new requests come."""
        self.queue.clear()
        for fut in self.inflight.values():
            fut.cancel()
        self.inflight.clear()

    def close(self) -> None:
        self.queue.clear()
        self.pool.shutdown(wait=True, cancel_futures=True)


class _BatchWriter:
    """One background thread that records and writes batches in order (at most two queued)."""

    def __init__(self, repo: Repo, lease) -> None:
        self.repo = repo
        self.lease = lease
        self.queue: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="pinfold-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            batch = self.queue.get()
            if batch is None:
                return
            if self.error is None:
                try:
                    self.repo._store(self.lease, batch)
                except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
                    self.error = exc

    def submit(self, batch: list) -> None:
        if self.error is not None:
            raise self.error
        if batch:
            self.queue.put(batch)

    def finish(self) -> None:
        if self.thread.is_alive():
            self.queue.put(None)
            self.thread.join()
        if self.error is not None:
            raise self.error

    def __enter__(self) -> _BatchWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish() if exc[0] is None else self._abandon()

    def _abandon(self) -> None:
        if self.thread.is_alive():
            self.queue.put(None)
            self.thread.join()


def _block_links(blk: Block) -> list[CID]:
    cid = blk.cid
    if cid.codec_code == RAW:
        return []
    if cid.codec_code == DAG_PB:
        parts = blk._parts
        head = parts[0][:1] if parts else blk.data[:1]
        if head == b"\x0a":  # Data first: a leaf, no links (the importer wrote it)
            return []
    return links_of(cid, blk.data)


