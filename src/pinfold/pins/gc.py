"""Garbage collection: a function over a blockstore and a pin set (as Kubo's ``gc/gc.go`` is
over a blockstore and a pinner), the same for every :class:`~pinfold.pins.interface.Pinner`.

Incremental gc deletes only what the pin set lists as unreferenced, so its cost follows what
it frees. ``full`` marks from the pins and sweeps every stored block, repairing the counts
first. Either way a block's bytes are deleted inside a pin-set transaction that commits only
after they are gone, and nothing can make a candidate kept or pending before that commit (the
interface's gc protocol), so a concurrent pin either comes first (and the block is no longer a
candidate) or after (and finds the block gone: its pin waits for the blocks or fails).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, wait

from ..blockstore.base import Blockstore
from .interface import Pinner
from .records import GCResult, PinError

FULL_CHUNK = 5000  # blocks per delete_many in a full gc


def collect(blocks: Blockstore, pins: Pinner, *, full: bool = False, batch: int = 50000,
            chunk: int = 25000) -> GCResult:
    """Delete unreferenced blocks; ``full``: mark and sweep from the pins, repairing the
    reference counts first if they disagree with the DAGs.

    Candidates come in key order, at most ``batch`` per transaction, all listed before the
    first of them is deleted: listed beside the deleting threads, each row waits for the
    GIL among them (a listing of 25,000 took ten times as long). A worker thread deletes
    them ``chunk`` at a time, one chunk after another, while this thread takes them off the
    list; the transaction commits only after all its blocks are gone (a crash in between
    leaves them listed, and the next gc finds them gone)."""
    pins.reap_leases()
    if full:
        return _collect_full(blocks, pins)
    result = GCResult()
    chunk = max(1, min(chunk, batch))
    with ThreadPoolExecutor(1, thread_name_prefix="pinfold-gc") as worker:
        while True:
            with pins.transaction():
                mhs, sizes = _split(pins.gc_candidates(batch))
                if not mhs:
                    pins.gc_tidy()
                    return result
                deleting = [(worker.submit(blocks.delete_many, part, sizes), part)
                            for part in (mhs[i : i + chunk] for i in range(0, len(mhs), chunk))]
                try:
                    pins.gc_collected(mhs[-1], len(mhs))
                    for done, part in deleting:
                        _freed(done.result(), part, result)
                finally:  # every delete ends before the commit (or rollback), whatever happened
                    wait([done for done, _ in deleting])


def _split(candidates: list[tuple[bytes, int | None]]) -> tuple[list[bytes], dict[bytes, int]]:
    """Candidates as the multihashes to delete and the sizes the pin set knows of them."""
    return ([mh for mh, _ in candidates],
            {mh: size for mh, size in candidates if size is not None})


def _collect_full(blocks: Blockstore, pins: Pinner) -> GCResult:
    result = GCResult()
    with pins.transaction():
        counts, problems = pins.recount()
        missing = [p for p in problems if p.kind in ("missing", "corrupt")]
        if missing:
            raise PinError(
                f"pinned DAGs are incomplete ({missing[0].detail}); nothing was deleted."
                " Run 'pinfold pin verify'")
        pins.replace_counts(counts)
        keep = pins.pending_keys()
        doomed = [mh for mh in blocks.keys() if mh not in counts and mh not in keep]
        for start in range(0, len(doomed), FULL_CHUNK):
            part = doomed[start : start + FULL_CHUNK]
            _freed(blocks.delete_many(part), part, result)
    return result


def _freed(sizes: dict[bytes, int], mhs: list[bytes], result: GCResult) -> None:
    for mh in mhs:
        size = sizes.get(mh)
        if size is not None:
            result.blocks += 1
            result.bytes += size
            result.freed.append(mh)
