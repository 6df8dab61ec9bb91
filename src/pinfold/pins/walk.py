"""One graph walker for every walk over pinned DAGs: taking and releasing references, recounting
them from the pins, and verifying pinned DAGs (Helia keeps one in ``utils/graph-walker.ts``).

The walk goes breadth-first, a *level* at a time: a level holds each distinct block once, with
the number of links (or roots) that arrived at it. The caller's ``expand`` sees a whole level
at once, so it can look up every block of the level in one batched query, decides which blocks
to descend into (its visit policy: "first time it becomes live", "first time seen", "count
reached zero") and returns their children, which make up the next level. A block reached again
on a deeper level simply arrives again; whether that descends is the policy's decision, so a
walk never loops on a DAG and never walks a shared subtree twice unless the policy says so.

Also here, the two generic walks every pin set runs the same way: :func:`recount` (the counts
the pins imply) and :func:`verify_dags` (every pinned block present and intact).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..block import BlockGetter
from ..blockstore.base import Blockstore
from ..cid import CID, DAG_PB
from ..codecs import dagpb
from ..codecs.links import links_of, pack, unpack
from ..errors import BlockNotFoundError, CorruptBlockError, DecodeError
from .records import Problem

# a level of a walk over CIDs: {multihash: [cid, arrivals]}
Level = dict[bytes, list]
# a level of a walk over multihashes alone: {multihash: arrivals}
KeyLevel = dict[bytes, int]


def walk(roots: Iterable[CID], expand: Callable[[Level], Iterable[Iterable[CID]]]) -> None:
    """Walk from ``roots`` a level at a time. ``expand(level)`` returns (or yields) the child
    lists of the blocks it descends into; it runs to its end before the next level is formed,
    so it may write what it decided (a generator's code after its loop runs then)."""
    level = _arrivals({}, (roots,))
    while level:
        level = _arrivals({}, expand(level))


def walk_keys(roots: Iterable[bytes],
              expand: Callable[[KeyLevel], Iterable[Iterable[bytes]]]) -> None:
    """:func:`walk` over bare multihashes (where the children are known as multihashes only,
    as when references are released: no CID is built for a block that is not read)."""
    level: KeyLevel = {}
    _key_arrivals(level, (roots,))
    while level:
        nxt: KeyLevel = {}
        _key_arrivals(nxt, expand(level))
        level = nxt


def _arrivals(level: Level, groups: Iterable[Iterable[CID]]) -> Level:
    for children in groups:
        for cid in children:
            entry = level.get(cid.multihash)
            if entry is None:
                level[cid.multihash] = [cid, 1]
            else:
                entry[1] += 1
    return level


def _key_arrivals(level: KeyLevel, groups: Iterable[Iterable[bytes]]) -> None:
    get = level.get
    for children in groups:
        for mh in children:
            level[mh] = get(mh, 0) + 1


# -- the generic walks ----------------------------------------------------------------------
Counts = dict[bytes, list]  # {mh: [rc, dc, cid_bytes, packed_links or None]}


def recount(pinned: Iterable[tuple[CID, str]], blocks: Any,
            known: Mapping[bytes, bytes]) -> tuple[Counts, list[Problem]]:
    """The reference counts the pinned pins ``(cid, type)`` imply, by walking their DAGs:
    ``{mh: [rc, dc, cid_bytes, packed_links]}``, and the blocks that could not be read.

    ``known`` holds the packed links a pin set has recorded (``{mh: packed}``); a block whose
    links are known is only checked to be present, any other is read from ``blocks``."""
    counts: Counts = {}
    problems: list[Problem] = []
    roots = []
    for root, ptype in pinned:
        if ptype == "direct":
            counts.setdefault(root.multihash, [0, 0, root.bytes, None])[1] += 1
        else:
            roots.append(root)

    def expand(level: Level) -> Iterable[list[CID]]:
        for mh, (cid, k) in level.items():
            entry = counts.get(mh)
            if entry is not None and entry[0] > 0:
                entry[0] += k  # live already: its children were counted once
                continue
            if entry is None:
                entry = counts[mh] = [0, 0, cid.bytes, None]
            entry[0] = k
            try:
                if mh in known and blocks.has(cid):
                    children = unpack(known[mh])
                else:
                    children = links_of(cid, blocks.get(cid))
            except (BlockNotFoundError, CorruptBlockError, DecodeError) as exc:
                problems.append(Problem(
                    "missing" if isinstance(exc, BlockNotFoundError) else "corrupt",
                    cid, str(exc)))
                continue
            entry[3] = pack(children)
            yield children

    walk(roots, expand)
    return counts, problems


def verify_dags(pinned: Iterable[tuple[CID, str]], blocks: BlockGetter) -> list[Problem]:
    """Every block of every pinned DAG present and intact (``pin verify``): each block is
    read (and so verified) once; direct pins check their block alone."""
    problems: list[Problem] = []
    seen: set[bytes] = set()
    pinned = list(pinned)

    def read(cid: CID) -> bytes | None:
        seen.add(cid.multihash)
        try:
            return blocks.get(cid)
        except BlockNotFoundError:
            problems.append(Problem("missing", cid, f"block not found: {cid}"))
        except CorruptBlockError as exc:
            problems.append(Problem("corrupt", cid, str(exc)))
        return None

    def expand(level: Level) -> Iterable[list[CID]]:
        for mh, (cid, _k) in level.items():
            if mh in seen:
                continue
            data = read(cid)
            if data is not None:
                try:
                    yield links_of(cid, data)
                except DecodeError as exc:
                    problems.append(Problem("undecodable", cid, str(exc)))

    walk([cid for cid, ptype in pinned if ptype == "recursive"], expand)
    for cid, ptype in pinned:
        if ptype == "direct" and cid.multihash not in seen:
            read(cid)
    return problems


def dag_size(blocks: Blockstore, cid: CID) -> int | None:
    """Cumulative size of the DAG: for DAG-PB the root block plus its links' Tsizes (what
    Kubo reports), for other codecs the root block's size (from the store's record of it,
    not a read); None if the block is absent."""
    if cid.codec_code != DAG_PB:
        inline = cid.identity_data
        return len(inline) if inline is not None else blocks.size_of(cid.multihash)
    try:
        data = blocks.get(cid)
    except BlockNotFoundError:
        return None
    try:
        return len(data) + sum(lk.tsize or 0 for lk in dagpb.decode(data).links)
    except DecodeError:
        return len(data)
