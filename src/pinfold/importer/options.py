"""Import options: Kubo's ``ipfs add`` flags and ``Import.*`` config, Helia's option names,
and the IPIP-499 profiles that set them together."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Literal

from ..chunker import Chunker, parse_chunker
from ..cid import HashFunction, get_hash
from ..codecs.unixfs import Mtime
from ..errors import InvalidOptionError, UnsupportedHashError

MAX_INLINE_LIMIT = 128  # verifcid.DefaultMaxIdentityDigestSize
DEFAULT_LINKS_PER_BLOCK = 174  # boxo helpers.DefaultLinksPerBlock
DEFAULT_HAMT_THRESHOLD = 262144
DEFAULT_HAMT_FANOUT = 256

Layout = Literal["balanced", "trickle"]
Estimation = Literal["links", "block", "disabled"]

#: IPIP-499 profiles, as Kubo's ``config/profile.go`` applies them.
PROFILES: dict[str, dict[str, object]] = {
    "unixfs-v0-2015": dict(
        cid_version=0, hash="sha2-256", raw_leaves=False, chunker="size-262144",
        max_links=174, layout="balanced", hamt_fanout=256, hamt_threshold=262144,
        hamt_estimation="links", directory_max_links=0,
    ),
    "unixfs-v1-2025": dict(
        cid_version=1, hash="sha2-256", raw_leaves=True, chunker="size-1048576",
        max_links=1024, layout="balanced", hamt_fanout=256, hamt_threshold=262144,
        hamt_estimation="block", directory_max_links=0,
    ),
}
PROFILES["legacy-cid-v0"] = PROFILES["unixfs-v0-2015"]


@dataclass(frozen=True)
class ImportOptions:
    """What ``pinfold add`` takes. ``None`` means "Kubo's default, or what the profile says".

    Kubo's implied defaults apply: CIDv1 (including v1 implied by a non-sha2-256 hash) turns
    raw leaves on unless ``raw_leaves`` is given; setting ``mode``/``mtime``/``preserve_*``
    turns them off (and is an error together with an explicit ``raw_leaves=True``).
    """

    profile: str | None = None
    cid_version: int | None = None
    hash: str | None = None
    raw_leaves: bool | None = None
    chunker: str | None = None
    layout: Layout | None = None
    max_links: int | None = None
    layer_repeat: int = 4
    #: dag-pb leaf type: ``"file"`` (balanced default) or ``"raw"`` (trickle default).
    leaf_type: Literal["file", "raw"] | None = None
    reduce_single_leaf_to_self: bool = True
    inline: bool = False
    inline_limit: int = 32
    wrap_with_directory: bool = False
    hidden: bool = False
    empty_dirs: bool = True
    dereference_symlinks: bool = False
    hamt_threshold: int | None = None
    hamt_fanout: int | None = None
    hamt_estimation: Estimation | None = None
    directory_max_links: int | None = None
    preserve_mode: bool = False
    preserve_mtime: bool = False
    mode: int | None = None
    mtime: Mtime | None = None
    #: hashing threads for file leaves (None: one per CPU, at most 4)
    workers: int | None = None

    def with_(self, **changes: object) -> ImportOptions:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_kwargs(cls, options: ImportOptions | None = None, **kwargs: object) -> ImportOptions:
        """Merge keyword arguments (Helia/JS spellings accepted) into ``options``."""
        base = options or cls()
        if not kwargs:
            return base
        names = {f.name for f in fields(cls)}
        changes = {}
        for key, value in kwargs.items():
            name = _ALIASES.get(key, key)
            if name not in names:
                raise InvalidOptionError(f"unknown import option {key!r}")
            if name == "mtime" and value is not None and not isinstance(value, Mtime):
                value = _as_mtime(value)
            changes[name] = value
        return replace(base, **changes)  # type: ignore[arg-type]

    def resolve(self) -> Params:
        return resolve(self)


_ALIASES = {
    "cidVersion": "cid_version",
    "rawLeaves": "raw_leaves",
    "chunkSize": "chunker",
    "maxChildrenPerNode": "max_links",
    "max_children_per_node": "max_links",
    "max_file_links": "max_links",
    "layerRepeat": "layer_repeat",
    "leafType": "leaf_type",
    "reduceSingleLeafToSelf": "reduce_single_leaf_to_self",
    "wrapWithDirectory": "wrap_with_directory",
    "wrap": "wrap_with_directory",
    "shardSplitThresholdBytes": "hamt_threshold",
    "shard_split_threshold_bytes": "hamt_threshold",
    "hash_function": "hash",
    "hashAlg": "hash",
    "trickle": "layout",
}


def _as_mtime(value: object) -> Mtime:
    if isinstance(value, Mtime):
        return value
    if isinstance(value, dict):
        return Mtime(int(value.get("secs", value.get("seconds", 0))),
                     int(value.get("nsecs", value.get("nanos", 0))))
    if isinstance(value, int):
        return Mtime(value)
    if isinstance(value, float):
        return Mtime.from_float(value)
    raise InvalidOptionError(f"mtime must be seconds or an Mtime, not {value!r}")


def default_workers(reserved: int = 0) -> int:
    """Hashing threads when ``workers`` is not set: one per CPU this process may run on
    (taskset, cgroups' cpusets), not the machine's (on one, hashing on worker threads only
    adds GIL hand-offs), less ``reserved`` for other busy threads; at least 1, at most 4."""
    import os

    usable = (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
              else os.cpu_count())
    return max(1, min(4, (usable or 1) - reserved))


@dataclass(frozen=True)
class Params:
    """Resolved, validated import parameters: what the builders actually use."""

    cid_version: int
    hash: HashFunction
    raw_leaves: bool
    chunker: Chunker
    layout: Layout
    max_links: int
    layer_repeat: int
    leaf_type: int  # UnixFS type of dag-pb leaves: 2 File or 0 Raw
    reduce_single_leaf_to_self: bool
    inline_limit: int  # -1: no inlining
    wrap_with_directory: bool
    hidden: bool
    empty_dirs: bool
    dereference_symlinks: bool
    hamt_threshold: int
    hamt_fanout: int
    hamt_estimation: Estimation
    directory_max_links: int
    preserve_mode: bool
    preserve_mtime: bool
    mode: int | None
    mtime: Mtime | None
    workers: int


def resolve(opts: ImportOptions) -> Params:
    """Apply the profile, Kubo's implied defaults and limits; raise on invalid combinations."""
    prof: dict[str, object] = {}
    if opts.profile is not None:
        try:
            prof = PROFILES[opts.profile]
        except KeyError:
            raise InvalidOptionError(
                f"unknown profile {opts.profile!r} (known: unixfs-v0-2015, unixfs-v1-2025)"
            ) from None

    def pick(name: str, default: object) -> object:
        value = getattr(opts, name)
        if value is not None:
            return value
        return prof.get(name, default)

    # chunker: an int means size-N (Helia's chunkSize)
    chunker_spec = pick("chunker", "size-262144")
    if isinstance(chunker_spec, int) and not isinstance(chunker_spec, bool):
        chunker_spec = f"size-{chunker_spec}"
    chunker = parse_chunker(chunker_spec)  # type: ignore[arg-type]

    hash_name = pick("hash", "sha2-256")
    try:
        hash_fn = get_hash(hash_name)  # type: ignore[arg-type]
    except UnsupportedHashError as exc:
        raise InvalidOptionError(str(exc)) from None

    # CID version: explicit > profile (Kubo config) > implied by the hash > 0
    if opts.cid_version is not None:
        version = opts.cid_version
    elif "cid_version" in prof:
        version = int(prof["cid_version"])  # type: ignore[arg-type]
    else:
        version = 1 if hash_fn.name != "sha2-256" else 0
    if version not in (0, 1):
        raise InvalidOptionError(f"unknown CID version {version} (use 0 or 1)")
    if version == 0 and hash_fn.name != "sha2-256":
        raise InvalidOptionError(
            f"CIDv0 only supports sha2-256; use --cid-version=1 with --hash={hash_fn.name}"
        )

    attrs = opts.preserve_mode or opts.preserve_mtime or opts.mode is not None \
        or opts.mtime is not None
    if opts.raw_leaves is not None:
        raw_leaves = opts.raw_leaves
        if raw_leaves and attrs:
            raise InvalidOptionError(
                "raw leaves cannot carry mode or mtime: drop --raw-leaves or the"
                " --mode/--mtime/--preserve-* flags"
            )
    elif attrs:
        raw_leaves = False
    elif "raw_leaves" in prof:
        raw_leaves = bool(prof["raw_leaves"])
    else:
        raw_leaves = version == 1

    layout_name = opts.layout if opts.layout is not None else prof.get("layout", "balanced")
    if layout_name is True:
        layout_name = "trickle"
    if layout_name not in ("balanced", "trickle"):
        raise InvalidOptionError(f"unknown layout {layout_name!r} (use balanced or trickle)")

    max_links = int(pick("max_links", DEFAULT_LINKS_PER_BLOCK))  # type: ignore[arg-type]
    if max_links < 2:
        raise InvalidOptionError(f"max links per file node must be at least 2, got {max_links}")
    if opts.layer_repeat < 1:
        raise InvalidOptionError("layer repeat must be at least 1")

    if opts.leaf_type is None:
        leaf_type = 0 if layout_name == "trickle" else 2
    elif opts.leaf_type in ("raw", "file"):
        leaf_type = 0 if opts.leaf_type == "raw" else 2
    else:
        raise InvalidOptionError(f"unknown leaf type {opts.leaf_type!r} (use file or raw)")

    inline_limit = -1  # no inlining
    if opts.inline:
        if opts.inline_limit > MAX_INLINE_LIMIT:
            raise InvalidOptionError(
                f"inline limit {opts.inline_limit} exceeds the maximum of {MAX_INLINE_LIMIT} bytes"
            )
        if opts.inline_limit < 0:
            raise InvalidOptionError("inline limit cannot be negative")
        inline_limit = opts.inline_limit

    threshold = int(pick("hamt_threshold", DEFAULT_HAMT_THRESHOLD))  # type: ignore[arg-type]
    if threshold < 0:
        raise InvalidOptionError("HAMT threshold cannot be negative")
    fanout = int(pick("hamt_fanout", DEFAULT_HAMT_FANOUT))  # type: ignore[arg-type]
    if fanout < 8 or fanout > 1024 or fanout & (fanout - 1) or fanout % 8:
        raise InvalidOptionError(
            f"HAMT fanout must be a power of 2, a multiple of 8 and at most 1024, got {fanout}"
        )
    estimation = pick("hamt_estimation", "links")
    if estimation not in ("links", "block", "disabled"):
        raise InvalidOptionError(
            f"unknown HAMT size estimation {estimation!r} (use links, block or disabled)"
        )
    dir_max_links = int(pick("directory_max_links", 0))  # type: ignore[arg-type]
    if dir_max_links < 0:
        raise InvalidOptionError("directory max links cannot be negative")

    mode = opts.mode
    if mode is not None and not 0 <= mode <= 0o7777:
        raise InvalidOptionError(f"mode {mode:o} is out of range (0 to 7777 octal)")
    mtime = _as_mtime(opts.mtime) if opts.mtime is not None else None

    workers = opts.workers
    if workers is None:
        workers = default_workers()
    if workers < 1:
        raise InvalidOptionError("workers must be at least 1")

    return Params(
        cid_version=version,
        hash=hash_fn,
        raw_leaves=raw_leaves,
        chunker=chunker,
        layout=layout_name,  # type: ignore[arg-type]
        max_links=max_links,
        layer_repeat=opts.layer_repeat,
        leaf_type=leaf_type,
        reduce_single_leaf_to_self=opts.reduce_single_leaf_to_self,
        inline_limit=inline_limit,
        wrap_with_directory=opts.wrap_with_directory,
        hidden=opts.hidden,
        empty_dirs=opts.empty_dirs,
        dereference_symlinks=opts.dereference_symlinks,
        hamt_threshold=threshold,
        hamt_fanout=fanout,
        hamt_estimation=estimation,  # type: ignore[arg-type]
        directory_max_links=dir_max_links,
        preserve_mode=opts.preserve_mode,
        preserve_mtime=opts.preserve_mtime,
        mode=mode,
        mtime=mtime,
        workers=workers,
    )
