"""The pin-set interface: what the repo, the CLI and garbage collection use of a pin set.

:class:`Pinner` is to pinfold what boxo's ``pinning/pinner`` interface is to ``dspinner``: the
operations and the guarantees, with no storage in it. :class:`pinfold.pins.PinSet` implements
it on SQLite; another engine (PostgreSQL, issue 12) implements the abstract methods below and
inherits the rest, which are written only in terms of them. One test suite is to run against
every implementation, so the *results* (records, pages, errors and their messages) are part of
the contract, not only the effects.

What a pin set holds
--------------------
- **Pin records** (the catalogue): :class:`~pinfold.pins.records.Pin` with id, CID, name,
  type (``recursive``/``direct``), ``created`` (ns since the epoch, unique and increasing
  within a pin set), size, status (``queued``/``pinning``/``pinned``/``failed``, with a
  ``reason``), typed metadata and groups. Limits are in :mod:`pinfold.pins.limits`, metadata
  rules in :mod:`pinfold.pins.meta`, query semantics in :mod:`pinfold.pins.query`.
- **Reference counts**, per block (keyed by multihash): ``rc``, its recursive references (the
  ``pinned`` recursive pins on it plus its *live* parents, one per link, duplicates counted;
  a block is live while ``rc > 0``) and ``dc``, its ``pinned`` direct pins. Only ``pinned``
  pins hold references. A block is *kept* while ``rc > 0`` or ``dc > 0``. With each counted
  block the pin set remembers the CID it was met as and its links (its children's CIDs in
  order), so releasing a DAG needs no block reads.
- **The unreferenced list**: blocks that may be garbage. Every block a writer stored (under a
  lease) that is neither kept nor pending is on it, from the moment its lease ends or its
  counts drop to zero; it may hold extra entries (kept or already deleted blocks), which gc
  skips or drops. Blocks put into the blockstore behind the pin set's back are found only by a
  full gc.
- **Leases** (:class:`Lease`): writers in progress. A block recorded under a live lease is
  *pending*: never a gc candidate, whatever its counts.

Transactions, crashes and other processes
-----------------------------------------
- Every mutating operation is **atomic and durable**: a pin record and every count, list entry
  and lease row it changes commit together when it returns, or not at all if it raises. A crash
  (SIGKILL, power loss) at any moment leaves the pin set as it was before the operation or as
  after it, never in between; the one exception is written down at :meth:`Pinner.add` (a
  recursive pin outside a lease is taken in two committed steps, and :meth:`Pinner.recover`
  finishes what a dead process left).
- Any number of processes (with a shared engine, on any number of hosts) may open one pin set
  at once. Mutating operations are **serializable**: the outcome is that of running them one at
  a time in commit order. :meth:`Pinner.transaction` makes several operations one such unit.
  The SQLite implementation gets this from one database-wide write lock (``BEGIN
  IMMEDIATE``); an implementation may allow more concurrency only where the outcomes cannot
  differ.
- Reads outside a transaction see only committed states, never half an operation; a read
  made of several steps (a page, its total, its records' metadata) may see operations that
  committed between its steps (a pin removed meanwhile is left out of the page, never returned
  half-read). Inside :meth:`Pinner.transaction`, every read sees the one state it works on.
- The pin set reads blocks (through :attr:`Pinner.blocks`) to learn the links of blocks it
  has not recorded, but never writes or deletes one: gc (:func:`pinfold.pins.gc.collect`)
  deletes, using the gc operations below, and a writer writes under a lease.

The protocol that keeps pinned data
-----------------------------------
1. A writer opens a lease, and **records** its blocks (with their links) under it in a
   committed transaction *before* it writes their bytes (:meth:`Lease.record`). From then on
   gc does not touch them.
2. It writes the bytes, then pins with ``add(..., lease=lease)``: the blocks it recorded are
   trusted to be present, others are checked.
3. It closes the lease: its recorded blocks that nothing keeps become unreferenced (gc
   candidates). A lease whose process died is reaped (:meth:`Pinner.reap_leases`, run at open
   and by every gc) with the same effect.
4. gc (:func:`pinfold.pins.gc.collect`) runs in transactions: it lists candidates
   (:meth:`Pinner.gc_candidates`), deletes their bytes, tells the pin set
   (:meth:`Pinner.gc_collected`) and commits only after the bytes are gone. Between listing a
   candidate and that commit, **nothing can make the candidate kept or pending**: a
   concurrent ``add``, ``Lease.record`` or ``transaction`` that would waits until the gc
   transaction ends (and then sees the block gone, or not listed). A crash before the commit
   leaves the candidates listed, and the next gc finds them already deleted.

Public and private pins (issue 15)
----------------------------------
Every pin has a ``network``: ``public`` (the default) or ``private``, Pinata's two networks.
The whole change to this interface is:

- :meth:`Pinner.add` takes ``network="public"|"private"`` (:class:`PinError` for anything
  else); :class:`~pinfold.pins.records.Pin` has ``network``; a repeated ``add`` returns the
  existing record only if the network is the same too (a CID may have a public and a
  private pin); :meth:`update` keeps each pin's network; the query takes ``network=``
  (:mod:`pinfold.pins.query`); :meth:`export` writes it and :meth:`import_` reads it (a
  line without it is public).
- :meth:`Pinner.reach` answers the gateway's question for a root CID in **one lookup, no
  walk**: ``"public"`` when some ``pinned`` public pin reaches it (it is the pin's root or in
  its DAG), ``"private"`` when only private pins do, ``None`` when no pin does.

How :class:`~pinfold.pins.PinSet` answers it: beside ``rc`` each block has ``prc``, the
references that public pins make (public recursive pins on it plus parents with ``prc > 0``
linking to it), taken and released by a second walk over the recorded links right after the
``rc`` walk of a public pin, in the same transaction (:mod:`pinfold.pins.refcount`). A
block is public while ``prc > 0`` or a public direct pin is on it. A pin set stored older
than this migrates with every pin public (``prc = rc``). Another engine keeps the same two
counts, or anything else that answers :meth:`reach` without walking a DAG per request.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, TextIO

from ..blockstore.base import Blockstore
from ..cid import CID
from ..errors import PinfoldError
from .query import Query, make_query
from .records import PIN_TYPES, Group, Page, Pin, PinError, Problem
from .walk import Counts, recount, verify_dags


class Lease(ABC):
    """A writer in progress (an import, a CAR import, a ``block put``): the blocks it records
    are pending, never collected, until it is closed or its process dies.

    Use it as a context manager; leaving the ``with`` closes it, whether or not an error is
    raised. ``mhs`` holds the multihashes recorded so far (``add(..., lease=)`` trusts them to
    be present)."""

    id: Any
    mhs: set[bytes]

    @abstractmethod
    def record(self, items: Iterable[tuple[CID, Sequence[CID] | None, int | None]
                                     | tuple[CID, Sequence[CID] | None]]) -> None:
        """Mark blocks ``(cid, links, size)`` as pending under this lease and remember their
        CIDs, links and sizes in bytes (``None``: not known; a ``(cid, links)`` item, as before
        sizes were recorded, leaves the size unknown), in one committed transaction, before
        the caller writes their bytes. A block known already keeps the CID it was first met
        as; its links and size are filled in if they were not known (gc hands the sizes to
        :meth:`Blockstore.delete_many`). Idempotent. Atomic: all of the items or none."""

    @abstractmethod
    def close(self, *, failed: bool = False) -> None:
        """End the lease in one transaction: its blocks that nothing keeps join the
        unreferenced list, and it holds nothing any more. Closing twice is harmless.

        ``failed``: the writer stopped on an error, so blocks it recorded may never have
        been written. Their recorded sizes are forgotten, so gc measures them rather than
        counting bytes that were never stored (a reaped lease, whose process died, is
        treated the same way)."""

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.close(failed=exc_type is not None)


class Pinner(ABC):
    """A pin set: pins, reference counts, leases, and what gc needs (see the module text for
    the guarantees every operation gives)."""

    blocks: Blockstore  # where the pin set reads the links of blocks it has not recorded

    # -- life and transactions ---------------------------------------------------------
    @abstractmethod
    def close(self) -> None:
        """Release the connection; the pin set is not used after."""

    @abstractmethod
    def transaction(self, atomic: bool = False) -> AbstractContextManager[Any]:
        """A context manager making every pin-set operation inside it one atomic,
        serializable unit: it commits when the outermost ``with`` ends without an error and
        rolls back if it raises (so ``import_`` is all or nothing). Nested uses join the
        outer one. While it is open, no other transaction (another process's, or gc's) changes
        what it reads or commits in between: the caller may check, then act (``block_rm``
        checks a block is not kept, deletes it and :meth:`forget` s it, with no pin
        slipping in). Inside it, a recursive ``add`` without a lease is taken in one step
        (not two), and an ``add``, ``update``, ``update_meta``, ``group_add`` or ``import_``
        that raises leaves none of its writes behind (a caller that catches the error and
        goes on commits only what succeeded): each joins an outer transaction as
        ``transaction(atomic=True)``, a savepoint that an error inside it rolls back, which
        callers may use for their own steps too. The value bound by ``as`` is the
        implementation's; callers ignore it.
        Keep it short: other writers wait for it."""

    # -- leases ----------------------------------------------------------------------------
    @abstractmethod
    def lease(self) -> Lease:
        """Open a lease for this process (committed before it returns)."""

    @abstractmethod
    def reap_leases(self) -> int:
        """Close every lease whose process is gone (as :meth:`Lease.close` would); return how
        many. Safe while other processes hold live leases: those are left alone."""

    # -- pins ------------------------------------------------------------------------------
    @abstractmethod
    def add(self, cid: CID | str, *, name: str = "", type: str = "recursive",
            lease: Lease | None = None, meta: dict[str, Any] | None = None,
            groups: Iterable[str] = (), queue: bool = False, network: str = "public") -> Pin:
        """Pin ``cid``, returning the record. Pinning a CID again with the same name, type and
        network (and a status other than ``failed``) returns the existing record and changes
        nothing. ``network``: ``public`` or ``private`` (see the module text).

        A recursive pin needs the whole DAG: its blocks are read (or, recorded under
        ``lease``, trusted) and every block that becomes live takes a reference on its
        children. Missing blocks raise :class:`~pinfold.errors.BlockNotFoundError` and change
        nothing, unless ``queue``: then the record is kept ``queued`` (holding no references,
        ``reason`` ``waiting for blocks (…)``) until :meth:`complete_queued` finds the DAG
        complete. A recursive pin replaces direct pins on the same CID (their records go);
        a direct pin on a recursively pinned CID raises :class:`PinError`; a direct pin needs
        its block present. ``meta`` is checked with :func:`~pinfold.pins.meta.check_meta`;
        ``groups`` are names or ids, created if missing. ``size`` is set from the root block
        (:func:`~pinfold.pins.walk.dag_size`).

        Atomic, except this one case: a *recursive* pin with no ``lease``, outside a
        :meth:`transaction`, is taken in two committed steps, so that a DAG walk that fails
        or is killed never loses the record: (1) the record, metadata and groups commit as
        ``pinning`` with this process as owner; (2) the references are taken and the record
        becomes ``pinned`` (``queued`` with ``queue``; deleted again, and the error raised, if
        blocks are missing without it). A crash between the two leaves a ``pinning`` record
        (reason ``pinning in process <pid> <start token>``) that :meth:`recover` finishes or
        fails once its owner is gone. A pin with the same name and type that ``failed``
        does not count as the same: pinning again makes a new record."""

    @abstractmethod
    def remove(self, cid: CID | str | None = None, *, pin_id: str | None = None,
               name: str | None = None) -> list[Pin]:
        """Unpin, atomically: every pin on ``cid`` (a CIDv0 and its CIDv1 are one), or only
        those named ``name``, or the pin ``pin_id``; return the removed records. A ``pinned``
        pin releases its references; blocks nothing keeps any more join the unreferenced list.
        Nothing matching raises :class:`PinError` (``… is not pinned``, ``no pin with id
        …``)."""

    @abstractmethod
    def update(self, old: CID | str, new: CID | str, *, unpin: bool = True) -> Pin:
        """Re-point the recursive pins on ``old`` to ``new`` in one transaction, keeping each
        name, its metadata and groups: ``new`` is referenced before ``old`` is released, so
        blocks both share are never collectable in between. ``unpin=False`` keeps ``old``.
        :class:`PinError` if ``old`` is not pinned recursively or ``new`` (another CID) is;
        returns the first re-pointed pin."""

    @abstractmethod
    def complete_queued(self) -> list[Pin]:
        """Pin every ``queued`` pin whose DAG is now complete (one transaction each, oldest
        first); return those that became ``pinned``. Safe to run from any process at any
        time; run after every write that may have brought blocks, and at open."""

    @abstractmethod
    def recover(self) -> tuple[int, int]:
        """Finish the ``pinning`` pins whose owner process is gone (their DAG is complete:
        ``pinned``), or mark them ``failed`` (reason ``interrupted and cannot finish: <the
        error>``); return ``(finished, failed)``. A pin whose owner still runs is left to it
        (the owner is a pid and its start token, :mod:`pinfold.process`; an engine shared by
        hosts needs an owner a host can check, such as a lease that expires). Run at open."""

    @abstractmethod
    def get(self, pin_id: str) -> Pin:
        """The record with that id (:class:`PinError` ``no pin with id …`` if none)."""

    @abstractmethod
    def run_query(self, query: Query) -> Page:
        """One page of the pins matching ``query`` (semantics in :mod:`pinfold.pins.query`;
        call :func:`~pinfold.pins.query.validate` first), each with its metadata and group
        names (sorted)."""

    @abstractmethod
    def update_meta(self, pin_id: str, changes: dict[str, Any], *,
                    replace: bool = False) -> Pin:
        """Merge ``changes`` into a pin's metadata (a ``None`` value removes the key, as
        Pinata's hashMetadata does), or replace it whole; atomic, nothing written if invalid
        (including more than :data:`~pinfold.pins.limits.MAX_KEYS` keys after the merge)."""

    @abstractmethod
    def rename(self, pin_id: str, name: str) -> Pin:
        """Give a pin another name."""

    # -- groups ----------------------------------------------------------------------------
    @abstractmethod
    def group_create(self, name: str) -> Group:
        """A new, empty group (:class:`PinError` if the name is taken or empty)."""

    @abstractmethod
    def group(self, name_or_id: str) -> Group:
        """The group with that id or name, with its number of pins (:class:`PinError` ``no
        group named …`` if none)."""

    @abstractmethod
    def group_id(self, name_or_id: str) -> str:
        """The id of the group with that id or name: :class:`PinError` ``a group is a
        non-empty name or id, not …`` for a non-string or empty value, ``no group named …``
        if there is none."""

    @abstractmethod
    def groups(self) -> list[Group]:
        """Every group, by name."""

    @abstractmethod
    def group_rename(self, name_or_id: str, new_name: str) -> Group: ...

    @abstractmethod
    def group_delete(self, name_or_id: str) -> None:
        """Delete a group; its pins stay, they only leave it."""

    @abstractmethod
    def group_add(self, name_or_id: str, pin_ids: Iterable[str]) -> int:
        """Put pins into a group, atomically (:class:`PinError` for an unknown pin id);
        return how many were not in it already."""

    @abstractmethod
    def group_remove(self, name_or_id: str, pin_ids: Iterable[str]) -> int:
        """Take pins out of a group; return how many were in it."""

    # -- reachability and counts -----------------------------------------------------------
    @abstractmethod
    def pinned_type(self, cid: CID) -> str | None:
        """How ``cid`` is kept: ``recursive`` (a pinned recursive pin on it), ``indirect``
        (inside a pinned recursive DAG), ``direct``, or ``None``."""

    @abstractmethod
    def reach(self, cid: CID) -> str | None:
        """``"public"`` if some ``pinned`` public pin reaches ``cid`` (its root, or inside its
        recursive DAG), else ``"private"`` if some ``pinned`` pin does, else ``None``; one
        lookup, never a walk (the gateway asks it for every request)."""

    @abstractmethod
    def is_kept(self, mh: bytes) -> bool:
        """Whether the block's counts keep it (``rc > 0`` or ``dc > 0``)."""

    @abstractmethod
    def indirect(self) -> Iterator[CID]:
        """Blocks kept only because a pinned recursive DAG contains them (live blocks that are
        not the root of a pinned recursive pin)."""

    @abstractmethod
    def kept_keys(self) -> Iterator[bytes]:
        """The multihash of every kept block."""

    @abstractmethod
    def known_cid(self, mh: bytes) -> CID | None:
        """The CID a block was recorded or counted under (its codec says how to read it), or
        ``None`` if the pin set knows nothing of it."""

    @abstractmethod
    def forget(self, mh: bytes) -> None:
        """The caller deleted this block's bytes (``block rm``, in the transaction that checked
        it): drop its unreferenced entry, and what the pin set knows of it unless it is kept
        (a kept block's counts stay: ``block rm --force`` leaves a drift that ``repo verify``
        reports and ``gc --full`` refuses)."""

    @abstractmethod
    def stats(self) -> dict[str, int]:
        """``{"pins": …, "kept_blocks": …, "unreferenced_blocks": …}``."""

    # -- what gc uses (pinfold.pins.gc); each call inside a transaction() ------------------
    @abstractmethod
    def gc_candidates(self, limit: int) -> list[tuple[bytes, int | None]]:
        """The first ``limit`` blocks gc may delete, ``(multihash, size)`` in multihash order
        (``size``: as recorded, ``None`` if not known): on the unreferenced list, both counts
        zero (a drifted count keeps a block), not pending. Until the transaction ends, nothing
        can make them kept or pending (see the module text)."""

    @abstractmethod
    def gc_collected(self, last: bytes, count: int) -> None:
        """gc deleted (or is deleting, to finish before this transaction commits) the
        candidates it was given up to ``last``, ``count`` blocks: take the unreferenced list up
        to ``last`` off, except pending blocks (their lease lists them again when it ends).
        What else is known of the deleted blocks may be dropped later (``count`` sizes that
        work), but must not make them look present."""

    @abstractmethod
    def gc_tidy(self) -> None:
        """gc found no candidate left: drop the kept blocks from the unreferenced list."""

    @abstractmethod
    def pinned_roots(self) -> list[tuple[CID, str]]:
        """``(cid, type)`` of every ``pinned`` pin (what counts are recomputed from)."""

    @abstractmethod
    def known_links(self) -> Mapping[bytes, bytes]:
        """``{mh: packed links}`` of every block whose links are recorded (packed as
        :func:`pinfold.codecs.links.pack` does)."""

    @abstractmethod
    def stored_counts(self) -> Iterator[tuple[bytes, int, int, bytes]]:
        """``(mh, rc, dc, cid_bytes)`` of every kept block, as stored."""

    @abstractmethod
    def pending_keys(self) -> set[bytes]:
        """The multihashes of every pending block (under any live lease)."""

    @abstractmethod
    def replace_counts(self, counts: Counts) -> None:
        """Full gc's repair: make ``counts`` (:func:`~pinfold.pins.walk.recount`'s
        ``{mh: [rc, dc, cid_bytes, packed_links]}``) the stored counts (blocks not in it get
        zero; known links are kept where ``packed_links`` is ``None``), forget every uncounted
        block that is not pending, and empty the unreferenced list. The caller then deletes,
        in the same transaction, every stored block that is neither counted nor pending."""

    # -- built on the above: the same for every implementation ------------------------------
    def query(self, query: Query | None = None, **filters: Any) -> Page:
        """Pins matching every given filter, newest first, one page at a time: a
        :class:`Query`, or the filters as keywords (:func:`~pinfold.pins.query.make_query`:
        ``cid``, ``name`` and ``match``, ``status``, ``group``, ``before``, ``after``,
        ``min_size``, ``max_size``, ``meta``, ``meta_filters``, ``type``, ``network``,
        ``limit`` (10),
        ``cursor``, ``oldest_first``).

        ``meta`` takes equality (``{"k": v}``) or Pinata's operator form
        (``{"k": {"value": v, "op": "gte"}}``); ``meta_filters`` takes :class:`MetaFilter`.
        ``cursor`` is the ``cursor`` of the previous :class:`Page`.
        """
        if query is None:
            query = make_query(self.group_id, **filters)
        return self.run_query(query)

    def list(self, *, type: str | None = None, cid: CID | str | None = None) -> list[Pin]:
        """All pins (optionally of one type or on one CID), newest first."""
        if type is not None and type not in PIN_TYPES:
            raise PinError(f"unknown pin type {type!r}")
        return self.query(type=type, cid=cid, limit=None).pins

    def export(self, out: TextIO) -> int:
        """Write every pin as one JSON object per line, oldest first; return the count."""
        n = 0
        cursor = None
        while True:
            page = self.query(limit=1000, cursor=cursor, oldest_first=True)
            for pin in page.pins:
                out.write(json.dumps(pin.to_json(), ensure_ascii=False) + "\n")
                n += 1
            if page.cursor is None:
                return n
            cursor = page.cursor

    def import_(self, lines: Iterable[str]) -> list[Pin]:
        """Recreate pins from :meth:`export` lines (in one transaction: all or nothing).
        Pins whose blocks are not in this repo come back ``queued``."""
        records = []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                if not isinstance(rec, dict) or "cid" not in rec:
                    raise ValueError("not a pin record")
                CID(rec["cid"])
            except (ValueError, PinfoldError) as exc:
                raise PinError(f"line {number}: not a pin record ({exc})") from None
            records.append(rec)
        out = []
        with self.transaction(atomic=True):
            for rec in records:
                out.append(self.add(
                    rec["cid"], name=rec.get("name") or "", type=rec.get("type", "recursive"),
                    meta=rec.get("meta") or {}, groups=rec.get("groups") or [], queue=True,
                    network=rec.get("network") or "public"))
        return out

    def recount(self) -> tuple[Counts, list[Problem]]:
        """Reference counts recomputed from the pins by walking their DAGs, and any block
        that could not be read (:func:`pinfold.pins.walk.recount`)."""
        return recount(self.pinned_roots(), self.blocks, self.known_links())

    def check_counts(self) -> list[Problem]:
        """Compare stored reference counts with recomputed ones (``repo verify``)."""
        counts, problems = self.recount()
        stored = {mh: (rc, dc, cid) for mh, rc, dc, cid in self.stored_counts()}
        for mh, (rc, dc, cid_b, _) in counts.items():
            got = stored.pop(mh, (0, 0, cid_b))
            if (got[0], got[1]) != (rc, dc):
                problems.append(Problem("refcount", CID.from_bytes(cid_b),
                                        f"stored rc={got[0]} dc={got[1]}, expected rc={rc}"
                                        f" dc={dc}"))
        for _mh, (rc, dc, cid_b) in stored.items():
            problems.append(Problem("refcount", CID.from_bytes(cid_b),
                                    f"stored rc={rc} dc={dc}, but nothing pinned reaches it"))
        return problems

    def verify_pins(self) -> list[Problem]:
        """Every block of every pinned DAG present and intact (``pin verify``)."""
        return verify_dags(self.pinned_roots(), self.blocks)
