"""A flatfs-like blockstore: one file per block, as Kubo's ``blocks/`` directory lays them out.

Keys are the base32 (upper case, no padding) form of the multihash, sharded ``next-to-last/2``:
the directory is the two characters before the last one, the file ``<KEY>.data``. Writes go to
a temporary file that is renamed into place, with fsync on by default. Temporary files that a
writer which died left behind are removed before the store's first write or delete.
"""

from __future__ import annotations

import ctypes
import itertools
import os
import sys
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor

from .. import _faults
from ..block import Block
from ..process import process_alive
from .base import BaseBlockstore
from .keys import B32 as _B32
from .keys import SUFFIX as _SUFFIX
from .keys import key_to_mh, mh_to_key, paths_by_shard, shard_dir

__all__ = ["FlatFSBlockstore", "key_to_mh", "mh_to_key", "shard_dir"]

# the unlinks of a large batch run on this many threads: where each unlink waits for the disk
# (ext4 mounted with ``discard`` and no journal discards a file's blocks synchronously) the
# waits overlap. Measured on 100,000 files on disk: 10 s on one thread, 3.1 s on 8, 2.2 s on
# 32 (idle machine); more threads cost more CPU in GIL hand-offs.
DELETE_WORKERS = 32
_PARALLEL_MIN = 256  # smaller batches are unlinked on the calling thread


class FlatFSBlockstore(BaseBlockstore):
    def __init__(self, path: str | os.PathLike, *, fsync: bool = True) -> None:
        self.path = os.fspath(path)
        self.fsync = fsync
        os.makedirs(self.path, exist_ok=True)
        self._made: set[str] = set()
        self._make_shards()
        self._untidy = True  # temporaries of dead writers not looked for yet
        # temporary names: the writer's pid (what clean_temporaries reads), a token of this
        # store's own (a reused pid never meets a dead writer's leftovers) and a count; a
        # tenth of what a uuid4 per file cost
        self._tmp_token = os.urandom(8).hex()
        self._tmp_count = itertools.count()

    @property
    def write_streams(self) -> int:
        """Two with fsync on: a batch's write waits for two syncs of the filesystem, and
        meanwhile the next batch is written (the disk and the CPU otherwise take turns; on
        this machine's disk a 1 GiB add took 2.75 s against 4.71 s with one, medians of 8
        alternating rounds). One with fsync off, and under crash injection, whose checkpoints
        must come in order."""
        return 2 if self.fsync and not _faults.ENABLED else 1

    def _make_shards(self) -> None:
        """Create the 1024 shard directories once, so writes never pay for a mkdir."""
        marker = os.path.join(self.path, "_shards")
        if not os.path.exists(marker):
            for a in _B32:
                for b in _B32:
                    os.makedirs(os.path.join(self.path, a + b), exist_ok=True)
            with open(marker, "w") as f:
                f.write("next-to-last/2\n")
        self._made.update(os.path.join(self.path, a + b) for a in _B32 for b in _B32)

    def _file(self, mh: bytes) -> str:
        key = mh_to_key(mh)
        return os.path.join(self.path, shard_dir(key), key + _SUFFIX)

    def _has(self, mh: bytes) -> bool:
        return os.path.exists(self._file(mh))

    def _get(self, mh: bytes) -> bytes | None:
        # one read of the size fstat gives (no buffered file object: ~20% less per 256 KiB)
        try:
            fd = os.open(self._file(mh), os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            size = os.fstat(fd).st_size
            data = os.read(fd, size)
            while len(data) < size:  # a short read (blocks are never rewritten in place)
                more = os.read(fd, size - len(data))
                if not more:
                    break
                data += more
            return data
        finally:
            os.close(fd)

    @staticmethod
    def _payload(block: Block) -> tuple[bytes | memoryview, ...]:
        """A block's buffers as they are, written by one writev (a leaf's frame and chunk are
        never joined into one copy)."""
        return block.buffers()

    def _put_many(self, items: list[tuple[bytes, bytes | tuple[bytes | memoryview, ...]]],
                  ) -> None:
        """Write a batch: every block to a temporary file, one filesystem sync, the renames,
        another sync. A block's final name therefore only ever holds durable, complete bytes,
        and the batch costs two syncs instead of one fsync per file. Each item is dropped from
        ``items`` (put_many's own list) as its file is written, so its bytes are freed before
        the syncs rather than after."""
        self._tidy()
        staged: list[tuple[str, str]] = []
        try:
            for i, (mh, data) in enumerate(items):
                items[i] = None  # type: ignore[call-overload]
                target = self._file(mh)
                if os.path.exists(target):
                    continue
                d = os.path.dirname(target)
                if d not in self._made:
                    os.makedirs(d, exist_ok=True)
                    self._made.add(d)
                tmp = os.path.join(
                    d, f".tmp-{os.getpid()}-{self._tmp_token}-{next(self._tmp_count)}")
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                staged.append((tmp, target))
                try:
                    _write_all(fd, data)
                    if self.fsync:
                        _start_writeback(fd)
                finally:
                    os.close(fd)
            if not staged:
                return
            if self.fsync:
                _sync_fs(self.path, [t for t, _ in staged])
            _faults.checkpoint("flatfs: before rename")
            dirs = set()
            for tmp, target in staged:
                os.replace(tmp, target)
                dirs.add(os.path.dirname(target))
                _faults.checkpoint("flatfs: after rename")
            staged = []
            if self.fsync:
                _sync_dirs(self.path, dirs)
        finally:
            for tmp, _ in staged:
                try:
                    os.unlink(tmp)
                except FileNotFoundError:
                    pass

    def _delete(self, mh: bytes) -> bool:
        _faults.checkpoint("flatfs: before unlink")
        try:
            os.unlink(self._file(mh))
            return True
        except FileNotFoundError:
            return False

    def delete_many(self, mhs: list[bytes],
                    sizes: Mapping[bytes, int] | None = None) -> dict[bytes, int]:
        """Unlink a batch; return the sizes of the blocks that were there.

        A large batch is named at once (:func:`~pinfold.blockstore.keys.paths_by_shard`,
        numpy where it imports: gc's batches of 25,000 in 20 ms against 76 ms one key at a
        time). A block whose size the caller gives (gc: the pin set recorded it) is not statted: an
        unlink that finds no file says it was absent. The others are sized first (one stat per
        file, on this thread; the stats of 100,000 files took ~0.5 s of it, the larger part of
        what gc's deletes cost beyond the bare unlinks). A large batch is then unlinked by
        :data:`DELETE_WORKERS` threads, each taking whole shard directories: os.unlink
        releases the GIL, so the unlinks' waits overlap (with stat and unlink in each worker,
        twice as many GIL hand-offs made the same work ~30% slower; handing the threads each
        few directories as soon as they were statted, slower again). A small batch, or any
        batch under crash injection (whose checkpoints must come in order), goes file by file
        on this thread, shard by shard."""
        self._tidy()
        known = sizes or {}
        mhs = list(dict.fromkeys(mhs))  # a key named twice is unlinked (and sized) once
        groups = paths_by_shard(self.path, mhs)
        workers = min(DELETE_WORKERS, len(groups))
        if len(mhs) < _PARALLEL_MIN or workers < 2 or _faults.ENABLED:
            return _unlink_in_order(groups, known)
        # the sizes the caller gave; the others statted, and a file not there left alone
        out = dict(zip(mhs, map(known.get, mhs), strict=True))
        if None in out.values():
            stat = os.stat
            for group in groups:
                for path, mh in group:
                    if out.get(mh, 0) is None:
                        try:
                            out[mh] = stat(path).st_size
                        except FileNotFoundError:
                            del out[mh]
            groups = [kept for kept in ([(path, mh) for path, mh in group if mh in out]
                                        for group in groups) if kept]
        with ThreadPoolExecutor(workers, thread_name_prefix="pinfold-unlink") as pool:
            for gone in pool.map(_unlink_paths, [groups[i::workers] for i in range(workers)]):
                for mh in gone:
                    out.pop(mh, None)
        return out

    def _size(self, mh: bytes) -> int | None:
        try:
            return os.stat(self._file(mh)).st_size
        except FileNotFoundError:
            return None

    def keys(self) -> Iterator[bytes]:
        try:
            shards = sorted(os.listdir(self.path))
        except FileNotFoundError:
            return
        for shard in shards:
            d = os.path.join(self.path, shard)
            if not os.path.isdir(d):
                continue
            for name in sorted(os.listdir(d)):
                if name.endswith(_SUFFIX) and not name.startswith("."):
                    try:
                        yield key_to_mh(name[: -len(_SUFFIX)])
                    except ValueError:
                        continue

    def _tidy(self) -> None:
        """Before this store's first write or delete: :meth:`clean_temporaries`. Not when it
        opens: reading never needs it, and listing the 1,024 shards was ~10 ms of every
        command (of ``pinfold cat``'s ~110 ms start-up)."""
        if self._untidy:
            self._untidy = False
            self.clean_temporaries()

    def clean_temporaries(self) -> int:
        """Remove temporary files that writers which have since died left behind (each name
        carries its writer's pid; a live writer's files are left alone). Return how many."""
        removed = 0
        alive: dict[int, bool] = {}
        for shard in os.listdir(self.path):
            d = os.path.join(self.path, shard)
            if not os.path.isdir(d):
                continue
            for name in os.listdir(d):
                if not name.startswith(".tmp-"):
                    continue
                try:
                    pid = int(name.split("-")[1])
                except (IndexError, ValueError):
                    pid = -1
                if pid > 0:
                    if pid not in alive:
                        alive[pid] = process_alive(pid, "")
                    if alive[pid]:
                        continue
                try:
                    os.unlink(os.path.join(d, name))
                    removed += 1
                except FileNotFoundError:
                    pass
        return removed


def _unlink_in_order(groups: list[list[tuple[str, bytes]]],
                     known: Mapping[bytes, int]) -> dict[bytes, int]:
    """Size and unlink files one by one on this thread; return the sizes of those there."""
    out = {}
    for group in groups:
        for path, mh in group:
            try:
                size = known.get(mh)
                if size is None:
                    size = os.stat(path).st_size
                _faults.checkpoint("flatfs: before unlink")
                os.unlink(path)
            except FileNotFoundError:
                continue
            out[mh] = size
    return out


def _unlink_paths(groups: list[list[tuple[str, bytes]]]) -> list[bytes]:
    """Unlink files (a worker's share of a batch); return the multihashes of those that were
    already gone."""
    gone = []
    unlink = os.unlink
    for group in groups:
        for path, mh in group:
            try:
                unlink(path)
            except FileNotFoundError:
                gone.append(mh)
    return gone


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes | tuple[bytes | memoryview, ...]) -> None:
    """Write ``data`` (bytes, or buffers written in order by one ``writev``) whole."""
    if isinstance(data, tuple):
        done = os.writev(fd, data)
        if done == sum(len(p) for p in data):
            return
        data = b"".join(data)[done:]  # a short write, rare: the rest plainly
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


_syncfs = None
_sync_file_range = None
if sys.platform.startswith("linux"):
    try:
        _libc = ctypes.CDLL(None, use_errno=True)
        _syncfs = _libc.syncfs
        _syncfs.argtypes = [ctypes.c_int]
        _sync_file_range = _libc.sync_file_range
        _sync_file_range.argtypes = [ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong,
                                     ctypes.c_uint]
    except (OSError, AttributeError):  # pragma: no cover - non-glibc systems
        _syncfs = _sync_file_range = None
_WRITE_BEHIND = 2  # SYNC_FILE_RANGE_WRITE: start the file's writeback, do not wait for it


def _start_writeback(fd: int) -> None:
    """Start writing a file's dirty pages to the disk now, without waiting (Linux; elsewhere
    nothing), so the disk works while the rest of the batch is written and the batch's sync
    finds less left to do."""
    if _sync_file_range is not None:
        _sync_file_range(fd, 0, 0, _WRITE_BEHIND)


def _syncfs_path(path: str) -> bool:
    if _syncfs is None:
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        return _syncfs(fd) == 0
    finally:
        os.close(fd)


def _sync_fs(root: str, files: list[str]) -> None:
    """Make ``files`` durable: one syncfs(2) of the filesystem, else an fsync per file."""
    if _syncfs_path(root):
        return
    for name in files:
        fd = os.open(name, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _sync_dirs(root: str, dirs: set[str]) -> None:
    """Make the renames durable: one syncfs(2), else an fsync per directory."""
    if _syncfs_path(root):
        return
    for d in dirs:
        _fsync_dir(d)
