"""A repo: a blockstore and a pin set in one directory, with a format version.

Layout of a repo directory::

    config.json     {"format": "pinfold-repo", "version": 1, "backend": "fs"|"lmdb", ...}
    blocks/         the blockstore (flatfs files, or an LMDB environment)
    pins.sqlite     pins, reference counts, gc candidates, import leases
    access.sqlite   link secret, API keys (hashes), gateway tokens (hashes), gateway rules (0600)

:class:`Repo` is the facade users and the CLI call. It holds a blockstore
(:class:`~pinfold.blockstore.Blockstore`) and a pin set (:class:`~pinfold.pins.Pinner`);
blocks go in through the one block writer (:mod:`pinfold.repo.writer`), CAR files through
:mod:`pinfold.repo.car`, structured data through :mod:`pinfold.repo.dag`, and gc is
:func:`pinfold.pins.collect` over both. Its methods only delegate to those.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..block import Block
from ..blockstore import MemoryBlockstore
from ..cid import CID, DAG_PB, RAW, codec_code, get_hash
from ..codecs.links import links_of
from ..errors import BlockNotFoundError, InvalidOptionError, PinfoldError, UnsupportedHashError
from ..exporter import Resolved
from ..pins import GCResult, Pin, PinSet, Problem, collect
from ..pins.meta import check_meta
from ..pins.records import check_network
from . import car, dag, parts
from . import migrate as migrate_mod
from .car import CarImport
from .config import (
    FORMAT,
    VERSION,
    VERSION_SHARED,
    RepoError,
    checked_profile,
    default_repo_path,
    profile_at,
    under_profile,
)
from .prefetch import Prefetcher
from .writer import BlockWriter

if TYPE_CHECKING:  # loaded on first use: a read command needs none of them
    from ..access import Access
    from ..importer import ImportJob, ImportOptions, ImportResult
    from ..ipns import Names
    from ..keys import Keyring

BACKENDS = ("fs", "lmdb", "memory")


@dataclass(frozen=True)
class RepoStat:
    blocks: int
    bytes: int
    pinned_bytes: int
    pins: int
    path: str
    backend: str
    version: int


class Repo:
    """Blocks, pins and garbage collection in one place.

    ``Repo.init(path, backend="fs"|"lmdb")`` creates one; ``Repo(path)`` opens it (``create=True``
    to create it if missing). ``Repo.memory()`` keeps everything in memory.
    """

    def __init__(self, path: str | os.PathLike | None = None, *, create: bool = False,
                 backend: str = "fs", fsync: bool = True, s3_endpoint: str | None = None,
                 pinset: str | None = None, pinset_schema: str | None = None,
                 gc_grace: float | None = None, profile: str | None = None) -> None:
        self.path = os.fspath(path) if path is not None else default_repo_path()
        cfg_path = os.path.join(self.path, "config.json")
        if not os.path.exists(cfg_path):
            if not create:
                raise RepoError(f"no pinfold repo at {self.path} (run 'pinfold init')")
            self._write_config(backend, fsync, s3_endpoint, pinset, pinset_schema, gc_grace,
                               profile)
        self.config = self._read_config(cfg_path)
        self.backend = self.config["backend"]
        self.fsync = bool(self.config.get("fsync", True))
        self.blocks = parts.open_blocks(self.config, self.path, self.fsync)
        try:
            self.pins = parts.open_pins(self.config, self.path, self.blocks,
                                         durable=self.fsync)
        except BaseException:
            self.blocks.close()
            raise
        try:
            parts.bind(self.config, self.pins, self.blocks)
        except BaseException:
            self.close()
            raise

    @classmethod
    def init(cls, path: str | os.PathLike, *, backend: str = "fs", fsync: bool = True,
             s3_endpoint: str | None = None, pinset: str | None = None,
             pinset_schema: str | None = None, gc_grace: float | None = None,
             profile: str | None = None) -> Repo:
        """Create a repo at ``path``: blocks in ``backend`` (``fs``, ``lmdb``, or
        ``s3://BUCKET/PREFIX`` with ``s3_endpoint``), pins in ``pinset`` (``None``: SQLite in
        the directory, or ``postgresql://USER@HOST:PORT/DB``, in ``pinset_schema``).
        Which pairings are allowed, and why: :mod:`pinfold.repo.parts`. ``profile``: the
        import profile (``unixfs-v0-2015``, ``unixfs-v1-2025``) that adds into this repo use
        when they name none (:meth:`import_options`), as Kubo's ``ipfs init --profile``."""
        path = os.fspath(path)
        if os.path.exists(os.path.join(path, "config.json")):
            raise RepoError(f"a pinfold repo already exists at {path}")
        try:
            repo = cls(path, create=True, backend=backend, fsync=fsync, s3_endpoint=s3_endpoint,
                       pinset=pinset, pinset_schema=pinset_schema, gc_grace=gc_grace,
                       profile=profile)
        except BaseException:
            # a repo that cannot open its parts is not left behind half made
            if os.path.exists(os.path.join(path, "config.json")):
                os.remove(os.path.join(path, "config.json"))
            raise
        repo.keys.self_key()  # the repo's 'self' IPNS key, as Kubo's init makes one
        repo.access.ensure_secret()  # the secret access links are signed with
        return repo

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

    def _write_config(self, backend: str, fsync: bool, s3_endpoint: str | None = None,
                      pinset: str | None = None, pinset_schema: str | None = None,
                      gc_grace: float | None = None, profile: str | None = None) -> None:
        if backend not in parts.LOCAL_BACKENDS and not str(backend).startswith("s3:"):
            raise RepoError(f"unknown backend {backend!r} (use fs, lmdb or s3://BUCKET/PREFIX)")
        cfg: dict[str, Any] = {"format": FORMAT, "version": VERSION}
        if profile is not None:
            cfg["profile"] = checked_profile(profile)
        cfg.update(parts.blockstore_config(backend, endpoint=s3_endpoint))
        cfg["fsync"] = fsync
        pcfg = parts.pinset_config(pinset, schema=pinset_schema)
        if gc_grace is not None:
            if pcfg is None:
                raise RepoError("a gc grace period is for a postgresql:// pin set")
            pcfg["grace"] = float(gc_grace)
        if pcfg is not None:
            cfg["pinset"] = pcfg
        if cfg["backend"] == "s3" or pcfg is not None:
            cfg["version"] = VERSION_SHARED  # older pinfolds must not open it as local
            if cfg["backend"] != "s3":
                cfg["blocks_id"] = uuid.uuid4().hex
        os.makedirs(self.path, exist_ok=True)
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
        if cfg.get("version") not in (VERSION, VERSION_SHARED):
            raise RepoError(
                f"repo at {self.path} has format version {cfg.get('version')}; this pinfold"
                f" reads versions {VERSION} and {VERSION_SHARED} and will not rewrite it"
            )
        if cfg.get("backend") not in ("fs", "lmdb", "s3"):
            raise RepoError(f"repo at {self.path} has unknown backend {cfg.get('backend')!r}")
        return cfg

    # -- access control -------------------------------------------------------------------
    @property
    def access(self) -> Access:
        """The repo's access control (:class:`pinfold.access.Access`): the link secret and
        access links, API keys, gateway tokens and rules, in ``access.sqlite``."""
        access = self.__dict__.get("_access")
        if access is None:
            from ..access import Access

            access = self._access = (Access.memory() if self.path == ":memory:"
                                     else Access(self.path))
        return access

    # -- names (IPNS) -----------------------------------------------------------------------
    @property
    def names(self) -> Names:
        """The repo's IPNS records and keys (:class:`pinfold.ipns.Names`): publish, resolve,
        get, put."""
        names = self.__dict__.get("_names")
        if names is None:
            from ..ipns import Names

            names = self._names = Names.open(self.path, blocks=self)
        return names

    @property
    def keys(self) -> Keyring:
        """The repo's keystore (:class:`pinfold.keys.Keyring`); the ``self`` key is made on
        first use in repos older than that key."""
        return self.names.keys

    def ipfs_path(self, path: str) -> str:
        """``path`` unchanged, unless it is ``/ipns/<name>[/sub/path]``: then the
        ``/ipfs/<cid>[/...]`` path the repo's records lead to (recursively)."""
        if isinstance(path, str) and path.startswith("/ipns/"):
            return self.names.ipfs_path(path)
        return path

    def close(self) -> None:
        pre = self.__dict__.pop("_prefetcher", None)
        if pre is not None:
            pre.close()
        access = self.__dict__.pop("_access", None)
        if access is not None:
            access.close()
        self.pins.close()
        self.blocks.close()

    def __enter__(self) -> Repo:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- adding -------------------------------------------------------------------------
    @property
    def profile(self) -> str | None:
        """The import profile this repo was made with (``None``: Kubo's defaults)."""
        profile = self.config.get("profile")
        if profile is None:
            return None
        return checked_profile(profile, os.path.join(self.path, "config.json"))

    profile_at = staticmethod(profile_at)  # :func:`pinfold.repo.config.profile_at`

    def import_options(self, options: ImportOptions | None = None) -> ImportOptions:
        """``options`` (default: none) with this repo's profile under them: every option
        they set wins, the profile fills what they leave, as Kubo's ``Import`` config does
        for ``ipfs add`` flags. Options that name a profile of their own keep it.

        Into an ``fs`` repo, unless ``workers`` is set, leaves are hashed on one thread fewer
        than the usable CPUs: flatfs's writer thread keeps a core busy in the kernel
        (creating, filling and writing back a file per block), and on two cores a third
        busy thread made the reader wait on every hand-off (1 GiB into fs on tmpfs, in
        process: 0.96-1.01 s with two hashing threads, 0.79-0.95 s hashing on the reader's
        thread; the bare read, hash and write of the same bytes 0.67-0.69 s). Into LMDB
        two hashing threads were as fast or faster, so it keeps the usual count."""
        from ..importer import ImportOptions, default_workers

        opts = under_profile(options or ImportOptions(), self.profile)
        if opts.workers is None and self.backend == "fs":
            opts = opts.with_(workers=default_workers(reserved=1))
        return opts

    def add(self, source: Any, *, pin: bool = True, name: str = "",
            options: ImportOptions | None = None, progress=None,
            meta: dict[str, Any] | None = None, groups: Iterable[str] = (),
            network: str = "public", **kwargs: Any) -> ImportResult:
        """Import ``source``, store its blocks and (by default) pin every top-level root
        recursively, on ``network`` (``public``, or ``private``: served only to access links
        and API keys). Blocks of an import in progress are never collected."""
        from ..importer import Importer

        recursive = kwargs.pop("recursive", True)
        importer = Importer(self.import_options(options), progress=progress,
                            recursive=recursive, **kwargs)
        check_meta(meta)  # bad metadata fails before any work
        check_network(network)
        return self.store(importer.import_(source), pin=pin, name=name, meta=meta,
                          groups=groups, network=network)

    def store(self, job: ImportJob, *, pin: bool = True, name: str = "",
              on_block: Callable[[Block], None] | None = None,
              meta: dict[str, Any] | None = None, groups: Iterable[str] = (),
              network: str = "public") -> ImportResult:
        """Store the blocks of an import job as they come (with the links the importer gave
        them), then pin each of its roots.

        Batches are written by a background thread while the importer reads and hashes the
        next ones (file I/O, fsync and hashlib all release the GIL): :class:`BlockWriter`."""
        with self.writer() as writer:
            writer.write(job, on_block)
            if pin:
                writer.pin([entry.cid for entry in job.result.roots], name=name, meta=meta,
                           groups=groups, together=False, network=network)
        return job.result

    def writer(self) -> BlockWriter:
        """The repo's block writer (a block sink under a lease of its own): blocks put into
        it are stored in batches, with their links; see :mod:`pinfold.repo.writer`."""
        return BlockWriter(self.pins, self.blocks)

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
        with self.writer() as writer:
            writer.put(Block(cid, bytes(data), links=links))
            writer.finish()
            if pin:
                self.pins.add(cid, type="direct" if not links else "recursive")
        return cid

    def block_get(self, cid: CID | str) -> bytes:
        return self.blocks.get(CID(cid))

    def block_stat(self, cid: CID | str) -> tuple[CID, int]:
        cid = CID(cid)
        size = self.blocks.size_of(cid.multihash)
        if size is None:
            if cid.is_identity:
                return cid, len(cid.digest)
            raise BlockNotFoundError(cid)
        return cid, size

    def block_rm(self, cid: CID | str, *, force: bool = False) -> bool:
        """Delete a block; refused while anything keeps it (pinned or inside a pinned DAG)."""
        cid = CID(cid)
        with self.pins.transaction():
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
            pre = self._prefetcher = Prefetcher(self.blocks)
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
            queue: bool = False, network: str = "public") -> Pin:
        """Pin a CID; ``queue=True`` records it as ``queued`` if its blocks are missing;
        ``network``: ``public`` or ``private``."""
        return self.pins.add(CID(cid), name=name, type="recursive" if recursive else "direct",
                             meta=meta, groups=groups, queue=queue, network=network)

    def reach(self, cid: CID | str) -> str | None:
        """``"public"`` if a public pin reaches ``cid``, ``"private"`` if only private pins
        do, ``None`` if no pin does (:meth:`pinfold.pins.Pinner.reach`: one lookup)."""
        return self.pins.reach(CID(cid))

    def unpin(self, cid: CID | str | None = None, *, pin_id: str | None = None,
              name: str | None = None) -> list[Pin]:
        return self.pins.remove(cid, pin_id=pin_id, name=name)

    def gc(self, *, full: bool = False) -> GCResult:
        """Delete the blocks nothing pinned keeps (:func:`pinfold.pins.collect`); ``full``:
        mark and sweep from the pins, repairing the reference counts first."""
        return collect(self.blocks, self.pins, full=full)

    # -- checks and stats ---------------------------------------------------------------
    def verify(self) -> list[Problem]:
        """Every stored block hashes to its key; every pinned DAG is complete and intact;
        the reference counts agree with the pins."""
        problems: list[Problem] = []
        for mh in self.blocks.keys():
            cid = self.pins.known_cid(mh) or CID.v1(RAW, mh)
            try:
                self.blocks.get(cid)  # verified as it is read
            except BlockNotFoundError:
                continue  # deleted since it was listed
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
                        int(self.config.get("version", VERSION)))

    def migrate(self, dest: Repo, *, progress=None) -> migrate_mod.MigrateResult:
        """Copy every block and pin of this repo into ``dest`` (a shared repo, or a local one),
        resumable and verified: :func:`pinfold.repo.migrate.migrate`."""
        return migrate_mod.migrate(self, dest, progress=progress)

    def iter_blocks(self) -> Iterator[bytes]:
        return self.blocks.keys()

    # -- interchange (CAR files) --------------------------------------------------------
    def import_car(self, sources: car.Sources, **options: Any) -> CarImport:
        """Store every block of one or more CAR files and pin their roots, all or none
        (:func:`pinfold.repo.car.import_car`: ``pin``, ``name``, ``meta``, ``groups``,
        ``progress``)."""
        return car.import_car(self.pins, self.blocks, sources, **options)

    def car_blocks(self, path: CID | str,
                   **options: Any) -> tuple[Resolved, Iterator[tuple[CID, bytes]]]:
        """Resolve ``path`` and choose its blocks (:func:`pinfold.repo.car.car_blocks`)."""
        return car.car_blocks(self, path, **options)

    def car_stream(self, path: CID | str, **options: Any) -> Iterator[bytes]:
        """A CARv1 of ``path`` as lazily produced bytes (:func:`pinfold.repo.car.car_stream`)."""
        return car.car_stream(self, path, **options)

    def export_car(self, path: CID | str, out: Any, **options: Any) -> int:
        """Write the CAR of ``path`` to ``out`` (:func:`pinfold.repo.car.export_car`: ``version``,
        ``index``, ``scope``, ``entity_bytes``, ``dups``, ``progress``); the number of blocks."""
        return car.export_car(self, path, out, **options)

    # -- structured data (DAG-CBOR, DAG-JSON) --------------------------------------------
    def dag_put(self, value: Any, **options: Any) -> CID:
        """Store a Python value (dict/list/str/int/float/bool/None/bytes/CID links) as one
        DAG-CBOR (or DAG-JSON) block and return its CIDv1, as ``ipfs dag put`` does.

        With ``pin`` the block is pinned recursively, which needs every block it links to
        already in the repo (else :class:`~pinfold.errors.BlockNotFoundError` and nothing is
        pinned): pin NFT metadata after adding the image it links to. Options: ``codec``,
        ``hash``, ``pin``, ``name``, ``meta``, ``groups`` (:func:`pinfold.repo.dag.put_many`)."""
        return dag.put_many(self.pins, self.blocks, [value], **options)[0]

    def dag_put_many(self, values: Iterable[Any], **options: Any) -> list[CID]:
        """:meth:`dag_put` for many values in one batch (one lease, one write per batch)."""
        return dag.put_many(self.pins, self.blocks, values, **options)

    def dag_put_bytes(self, data: bytes, **options: Any) -> CID:
        """Parse ``data`` (``input_codec``: ``dag-json``, ``json`` or ``dag-cbor``) and store it
        (``store_codec``): what ``pinfold dag put`` reads from stdin
        (:func:`pinfold.repo.dag.put_bytes`)."""
        return dag.put_bytes(self.pins, self.blocks, data, **options)

    def dag_get(self, path: CID | str) -> Any:
        """The value at ``<cid>[/a/0/b]``, following links across blocks
        (:func:`pinfold.repo.dag.get_value`)."""
        return dag.get_value(self, path)
