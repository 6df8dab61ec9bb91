"""``Repo.migrate``: copy one repo's blocks and pins into another (a local repo into a shared
one, or back), resumable and verified.

1. Blocks: every stored block of the source, in key order, read (verified, as every read is)
   and written to the destination under one lease: recorded as pending before its bytes go
   (the repo's write protocol), so a gc of the destination running meanwhile (on any host)
   does not collect what the migration brought before its pins exist. A block the
   destination has already is recorded but not sent again, which is what makes a second run
   after an interruption cheap: it sends only what the first did not.
2. Pins: every pin of the source (oldest first, with name, type, metadata and groups) is
   taken in the destination, all in one transaction; a pin the destination has already (same
   CID, name and type) is left as it is, so running again adds nothing twice.
3. Verify: every source pin must now be ``pinned`` in the destination, and every block of
   its DAG present there (:meth:`~pinfold.pins.interface.Pinner.verify_pins`).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..block import Block
from ..cid import CID, RAW
from ..codecs.links import links_of
from ..errors import BlockNotFoundError, PinfoldError
from ..pins import Problem

BATCH = 256  # blocks recorded (one transaction) and written at once


class MigrateError(PinfoldError):
    """A migration that could not finish or did not verify (running it again resumes)."""


@dataclass
class MigrateResult:
    blocks_sent: int = 0
    blocks_present: int = 0  # already in the destination (a resumed run)
    bytes_sent: int = 0
    pins: int = 0
    problems: list[Problem] = field(default_factory=list)


def migrate(src: Any, dest: Any, *,
            progress: Callable[[MigrateResult], None] | None = None) -> MigrateResult:
    """Copy ``src``'s blocks and pins into ``dest`` (two :class:`~pinfold.repo.Repo`)."""
    result = MigrateResult()
    with dest.pins.lease() as lease:
        batch: list[bytes] = []

        def flush() -> None:
            items, send = [], []
            for mh in batch:
                cid = src.pins.known_cid(mh) or CID.v1(RAW, mh)
                try:
                    data = src.blocks.get(cid)
                except BlockNotFoundError:
                    continue  # deleted (by a gc of the source) since it was listed
                links = links_of(cid, data)
                items.append((cid, links, len(data)))
                if dest.blocks.has(cid):
                    result.blocks_present += 1
                else:
                    send.append(Block(cid, data, links=links))
            lease.record(items)  # committed before the bytes go
            dest.blocks.put_many(send)
            result.blocks_sent += len(send)
            result.bytes_sent += sum(b.size for b in send)
            batch.clear()
            if progress is not None:
                progress(result)

        for mh in src.blocks.keys():
            batch.append(mh)
            if len(batch) >= BATCH:
                flush()
        flush()
        text = io.StringIO()
        src.pins.export(text)
        text.seek(0)
        result.pins = len(dest.pins.import_(text))
    result.problems = verify_copy(src, dest)
    if result.problems:
        first = result.problems[0]
        raise MigrateError(f"the copy did not verify: {first.cid}: {first.detail} (and"
                           f" {len(result.problems) - 1} more); run the migration again")
    return result


def verify_copy(src: Any, dest: Any) -> list[Problem]:
    """Every pin of ``src`` is pinned in ``dest`` with its whole DAG there."""
    problems: list[Problem] = []
    have = {(str(p.cid), p.name, p.type): p.status for p in dest.pins.list()}
    for pin in src.pins.list():
        status = have.get((str(pin.cid), pin.name, pin.type))
        if status != "pinned" and pin.status == "pinned":
            problems.append(Problem("missing", pin.cid,
                                    f"pin {pin.name!r} is {status or 'absent'} in the copy"))
    problems.extend(dest.pins.verify_pins())
    return problems
