"""Read-ahead for a sequential reader of a repo (the exporter asks for a node's children before
it reads them): blocks read and verified on worker threads, handed over in request order."""

from __future__ import annotations

from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..blockstore.base import Blockstore
from ..cid import CID


class Prefetcher:
    """Reads and verifies blocks ahead of a sequential reader, on a worker thread.

    Of each request, every other block is read ahead; the reader reads the rest itself as it
    comes to them (:meth:`take` gives None for those). Two threads share the reads, one per
    core of a two-core machine, and the reader waits on the worker every other block, not
    every block: with every block read ahead by two workers, ``cat`` of 1 GiB took 1.6-1.8x
    the time the same blocks took read and hashed bare on two threads; sharing them, about
    1.15x (benchmarks/RESULTS.md).

    ``queue`` holds the worker's blocks in the order the reader will want them: the most
    recent request first (a depth-first reader asks for a node's children before going on
    with the node's siblings, which were asked for earlier). Reads are started for the first
    ``window`` entries of that order; reads started earlier for entries that newer requests
    pushed further back keep their result until it is taken (at most ``window`` per level of
    the DAG). So the children of the node just read are always read ahead, however many
    siblings its ancestors have: counting every started read against the window, the 23
    other children of a 1 GiB file's root filled it and no leaf was ever read ahead."""

    def __init__(self, blocks: Blockstore, window: int = 16) -> None:
        self.blocks = blocks
        self.window = window
        self.queue: deque[CID] = deque()
        self.inflight: dict[bytes, Any] = {}  # started reads, by multihash
        # one worker: the reader itself takes the other half of the reads
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="pinfold-read")

    def request(self, cids: list[CID]) -> None:
        # the reader reads the first itself (it wants it next), the worker the second, ...
        self.queue.extendleft(reversed([c for c in cids if not c.is_identity][1::2]))
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
