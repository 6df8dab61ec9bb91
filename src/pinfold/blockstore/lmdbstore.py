"""An LMDB blockstore: one environment, blocks in a named database keyed by multihash.

The map grows by itself (doubling) instead of failing with MapFull, and other processes that
have the environment open adopt the new size when LMDB tells them it changed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import lmdb

from .. import _faults
from .base import BaseBlockstore

_INITIAL_MAP = 1 << 30
_MAX_DBS = 8


class LMDBBlockstore(BaseBlockstore):
    def __init__(self, path: str | os.PathLike, *, fsync: bool = True,
                 map_size: int = _INITIAL_MAP) -> None:
        self.path = os.fspath(path)
        os.makedirs(self.path, exist_ok=True)
        self.env = lmdb.open(
            self.path, map_size=map_size, max_dbs=_MAX_DBS, writemap=True,
            sync=fsync, metasync=fsync, readahead=False, lock=True,
        )
        self.db = self.env.open_db(b"blocks")

    def _retry(self, fn):
        for _ in range(64):
            try:
                return fn()
            except lmdb.MapFullError:
                self.env.set_mapsize(self.env.info()["map_size"] * 2)
            except lmdb.MapResizedError:
                self.env.set_mapsize(0)
        return fn()

    def _has(self, mh: bytes) -> bool:
        def run():
            with self.env.begin(db=self.db) as txn:
                return txn.get(mh) is not None
        return self._retry(run)

    def _get(self, mh: bytes) -> bytes | None:
        def run():
            with self.env.begin(db=self.db, buffers=True) as txn:
                v = txn.get(mh)
                return None if v is None else bytes(v)
        return self._retry(run)

    def _put_many(self, items: list[tuple[bytes, bytes]]) -> None:
        def run():
            with self.env.begin(db=self.db, write=True) as txn:
                for mh, data in items:
                    txn.put(mh, data, overwrite=False)
                _faults.checkpoint("lmdb: before commit")
        self._retry(run)
        _faults.checkpoint("lmdb: after commit")

    def _delete(self, mh: bytes) -> bool:
        def run():
            _faults.checkpoint("lmdb: before delete")
            with self.env.begin(db=self.db, write=True) as txn:
                return txn.delete(mh)
        return self._retry(run)

    def _size(self, mh: bytes) -> int | None:
        def run():
            with self.env.begin(db=self.db, buffers=True) as txn:
                v = txn.get(mh)
                return None if v is None else len(v)
        return self._retry(run)

    def keys(self) -> Iterator[bytes]:
        def run():
            with self.env.begin(db=self.db) as txn:
                return [k for k in txn.cursor().iternext(keys=True, values=False)]
        yield from self._retry(run)

    def close(self) -> None:
        self.env.close()
