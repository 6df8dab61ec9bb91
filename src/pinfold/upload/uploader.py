"""Uploads into a repo, as Pinata's upload API makes them: multipart files and folders, CAR
files, JSON documents, and presigned URLs. :class:`Uploads` is the library call the web
routes (:mod:`pinfold.web.upload`) and ``pinfold upload sign`` use.

Streaming end to end: a file part's bytes go from the request body through the importer to
the repo's block writer as they arrive (:class:`~pinfold.upload.multipart.MultipartReader`
keeps back only what could be a boundary), so memory is bounded by the writer's batches,
not by the upload. A folder upload imports each file as it arrives and builds the
directories last, from the files' CIDs (:class:`~pinfold.importer.ImportedSource`).

All or nothing: the blocks are written under the writer's lease and the root is pinned only
when the whole body was read and accepted. An upload refused or cut off half way raises
:class:`~pinfold.upload.errors.UploadError` (or a :class:`~pinfold.PinfoldError` of the
importer or CAR reader), pins nothing, and leaves its blocks unreferenced: the next gc
collects them.

Form fields (Pinata's v3 names, with the v2 ones where they differ): ``name``, ``keyvalues``
(a JSON object), ``group`` (``group_id``), ``network`` (``public``/``private``), and the
import options ``cidVersion`` (0 or 1) and ``wrapWithDirectory`` (``true``/``false``).
``cidVersion`` must come before the first file part, since the files are imported as they
stream in; the others may come anywhere (``wrapWithDirectory`` applies when the directories
are built, after the last file). Through a presigned URL, name, group,
keyvalues and network come from the signature only; fields that try to set them are
ignored, as Pinata ignores them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from ..access import parse_duration
from ..cid import CID
from ..errors import PinfoldError
from ..importer import DirSource, ImportedSource, Importer, ImportOptions, json_bytes
from ..numbers import parse_int
from ..pins import Pin
from ..pins.records import iso_ns
from .errors import UploadError
from .multipart import Limits, MultipartReader, boundary_of
from .names import safe_path
from .presign import NETWORKS, UploadPolicy, make_policy, sign_url, verify_url
from .store import UploadStore

CAR_TYPE = "application/vnd.ipld.car"
JSON_TYPE = "application/json"
DIRECTORY_TYPE = "directory"
IMPORT_FIELDS = ("cidVersion",)  # must precede the files: they are imported as they come
MAX_FIELDS = 64
MAX_FIELD_BYTES = 64 * 1024
MAX_JSON_BYTES = 16 << 20


@dataclass(frozen=True)
class UploadResult:
    """What an upload made, as Pinata's v3 upload answers (``to_json``)."""

    id: str  # the pin's id
    cid: CID
    size: int  # file bytes uploaded (the CAR's bytes for a CAR)
    name: str
    number_of_files: int
    mime_type: str
    is_duplicate: bool  # the CID was pinned already before this upload
    group_id: str | None = None
    keyvalues: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""
    network: str = "public"

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "cid": str(self.cid), "size": self.size,
                "number_of_files": self.number_of_files, "mime_type": self.mime_type,
                "group_id": self.group_id, "keyvalues": dict(self.keyvalues),
                "created_at": self.created_at, "is_duplicate": self.is_duplicate,
                "network": self.network}


class _Budget:
    """File bytes of one upload, refused (413) past ``limit`` as they stream."""

    def __init__(self, limit: int | None, what: str) -> None:
        self.limit = limit
        self.what = what
        self.used = 0

    def take(self, n: int) -> None:
        self.used += n
        if self.limit is not None and self.used > self.limit:
            raise UploadError(f"{self.what} is larger than {self.limit} bytes", 413)


class _Counted:
    """A stream whose bytes are counted against a budget as they are read."""

    def __init__(self, inner: BinaryIO, budget: _Budget) -> None:
        self.inner = inner
        self.budget = budget
        self.count = 0

    def read(self, n: int = -1) -> bytes:
        data = self.inner.read(n)
        self.count += len(data)
        self.budget.take(len(data))
        return data


@dataclass
class _File:
    path: tuple[str, ...]
    cid: CID
    tsize: int
    filesize: int
    mime: str


class Uploads:
    """Uploads into ``repo``. ``options``: how files are imported, over the repo's profile
    (:meth:`Repo.import_options <pinfold.Repo.import_options>`: with neither, Kubo's
    defaults; ``cidVersion`` and ``wrapWithDirectory`` fields adjust it per upload);
    ``limits``: the multipart parser's; ``max_upload_size``: the most file bytes a keyed
    upload may carry (``None``: no limit; a presigned URL carries its own)."""

    def __init__(self, repo: Any, *, options: ImportOptions | None = None,
                 limits: Limits | None = None, max_upload_size: int | None = None,
                 store: UploadStore | None = None) -> None:
        self.repo = repo
        self.options = repo.import_options(options)
        self.limits = limits or Limits()
        self.max_upload_size = max_upload_size
        self.store = store or UploadStore.for_repo(repo)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Uploads:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- presigned URLs -----------------------------------------------------------------------
    def sign(self, *, expires: int | str = "10m", max_file_size: int | None = None,
             allow_mime_types: Iterable[str] = (), name: str | None = None,
             group: str | None = None, keyvalues: Mapping[str, str] | None = None,
             network: str | None = None, base_url: str = "") -> str:
        """A presigned upload URL (Pinata's ``files/sign``): ``expires`` seconds or text
        (``90s``, ``10m``, ``1h``, ``30d``); see :mod:`pinfold.upload.presign`."""
        seconds = parse_duration(expires) if isinstance(expires, str) else expires
        policy = make_policy(expires=seconds, max_file_size=max_file_size,
                             allow_mime_types=allow_mime_types, name=name, group=group,
                             keyvalues=dict(keyvalues or {}), network=network)
        return sign_url(self.store.secret(), policy, base_url)

    def check_url(self, pairs: Iterable[tuple[str, str]]) -> UploadPolicy:
        """The policy of a presigned URL's query parameters, or a 403 :class:`UploadError`.
        (A URL used already is refused when an upload claims it.)"""
        return verify_url([self.store.secret()], pairs)

    def rotate(self) -> None:
        """A new signing secret: every presigned URL made before stops working."""
        self.store.rotate()

    def upload_signed(self, pairs: Iterable[tuple[str, str]], stream: BinaryIO,
                      content_type: str) -> UploadResult:
        """An upload through a presigned URL: checked, claimed (one at a time), and spent
        only when it succeeds; a refused or cut-off attempt leaves the URL usable."""
        policy = self.check_url(pairs)
        self.store.claim(policy.nonce, policy.expires_at)
        try:
            result = self.upload(stream, content_type, policy=policy)
        except BaseException:
            self.store.release(policy.nonce)
            raise
        self.store.commit(policy.nonce)
        return result

    # -- uploads ----------------------------------------------------------------------------------
    def upload(self, stream: BinaryIO, content_type: str, *,
               fields: Mapping[str, str] | None = None,
               policy: UploadPolicy | None = None) -> UploadResult:
        """A ``multipart/form-data`` body (one file, or a folder of files with relative
        paths) or a CAR (``application/vnd.ipld.car``; its options in ``fields``, e.g. from
        the query string), stored and pinned."""
        kind = (content_type or "").split(";", 1)[0].strip().lower()
        limit = policy.max_file_size if policy is not None else self.max_upload_size
        if kind == CAR_TYPE:
            return self._car(stream, dict(fields or {}), policy, limit)
        if kind != "multipart/form-data":
            raise UploadError(f"an upload is multipart/form-data or {CAR_TYPE},"
                              f" not {kind[:60]!r}", 415)
        return self._multipart(stream, content_type, dict(fields or {}), policy, limit)

    def upload_json(self, body: bytes, *, fields: Mapping[str, str] | None = None
                    ) -> UploadResult:
        """A JSON document (Pinata's ``pinJSONToIPFS``): either ``{"pinataContent": …,
        "pinataMetadata": {"name", "keyvalues"}, "pinataOptions": {"cidVersion",
        "groupId"}}`` or any other JSON value, stored as one file (``JSON.stringify``'s
        bytes) named ``name`` (default ``data.json``)."""
        if len(body) > MAX_JSON_BYTES:
            raise UploadError(f"a JSON upload is at most {MAX_JSON_BYTES} bytes", 413)
        try:
            value = json.loads(body.decode("utf-8"), parse_constant=_no_constant)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise UploadError(f"the body is not JSON: {str(exc)[:120]}") from None
        opts = dict(fields or {})
        if isinstance(value, dict) and "pinataContent" in value:
            meta = value.get("pinataMetadata") or {}
            popts = value.get("pinataOptions") or {}
            if not isinstance(meta, dict) or not isinstance(popts, dict):
                raise UploadError("pinataMetadata and pinataOptions are JSON objects")
            if meta.get("name") is not None:
                opts["name"] = _field_text(meta["name"], "pinataMetadata.name")
            if meta.get("keyvalues") is not None:
                opts["keyvalues"] = json.dumps(meta["keyvalues"])
            if popts.get("cidVersion") is not None:
                opts["cidVersion"] = str(popts["cidVersion"])
            if popts.get("groupId") is not None:
                opts["group"] = _field_text(popts["groupId"], "pinataOptions.groupId")
            value = value["pinataContent"]
        try:
            data = json_bytes(value)
        except PinfoldError as exc:
            raise UploadError(str(exc)) from None
        name = opts.get("name") or "data.json"
        importer = Importer(self._import_options(opts))
        with self.repo.writer() as writer:
            job = importer.import_(data, name=name)
            writer.write(job)
            root = job.result.roots[0]
            return self._pin(writer, root.cid, opts, None, size=len(data), files=1,
                             mime=JSON_TYPE, default_name=name)

    # -- inside -----------------------------------------------------------------------------------
    def _multipart(self, stream: BinaryIO, content_type: str, fields: dict[str, str],
                   policy: UploadPolicy | None, limit: int | None) -> UploadResult:
        reader = MultipartReader(stream, boundary_of(content_type), self.limits)
        budget = _Budget(limit, "the upload")
        files: list[_File] = []
        importer: Importer | None = None
        with self.repo.writer() as writer:
            for part in reader:
                if part.filename is None:
                    if len(fields) >= MAX_FIELDS:
                        raise UploadError(f"more than {MAX_FIELDS} form fields")
                    raw = part.read_limited(MAX_FIELD_BYTES, f"form field {part.name[:40]!r}")
                    try:
                        text = raw.decode("utf-8")
                    except UnicodeDecodeError:
                        raise UploadError(f"form field {part.name[:40]!r} is not UTF-8"
                                          ) from None
                    if part.name in IMPORT_FIELDS and files:
                        raise UploadError(f"form field {part.name!r} must come before the"
                                          " files (they are imported as they arrive)")
                    if part.name in fields:
                        raise UploadError(f"form field {part.name[:40]!r} is given twice")
                    fields[part.name] = text
                    continue
                path = safe_path(part.filename)
                mime = part.content_type.split(";", 1)[0].strip().lower() or \
                    "application/octet-stream"
                if policy is not None and not policy.allows_mime(mime):
                    raise UploadError(f"this upload URL does not allow files of type"
                                      f" {mime[:60]!r}", 415)
                if importer is None:
                    importer = Importer(self._import_options(fields).with_(
                        wrap_with_directory=False))
                counted = _Counted(part, budget)
                job = importer.import_(counted, name=path[-1])
                writer.write(job)
                top = job.result.roots[0]
                files.append(_File(path, top.cid, top.size, top.bytes, mime))
            if not files:
                raise UploadError("the upload has no file (a part with a filename)")
            root = self._tree(writer, files, fields)
            single = len(files) == 1 and len(files[0].path) == 1 and root == files[0].cid
            name = files[0].path[0]
            return self._pin(writer, root, fields, policy, size=budget.used,
                             files=len(files), mime=files[0].mime if single else DIRECTORY_TYPE,
                             default_name=name)

    def _tree(self, writer: Any, files: list[_File], fields: Mapping[str, str]) -> CID:
        """The root of the upload: the file itself (one file, no folder), the folder (every
        file under one top-level folder), else a directory wrapping the top-level entries;
        ``wrapWithDirectory`` always wraps."""
        options = self._import_options(fields)
        wrap = options.wrap_with_directory
        if len(files) == 1 and len(files[0].path) == 1 and not wrap:
            return files[0].cid
        tree: dict[str, Any] = {}
        for f in files:
            level = tree
            for depth, part in enumerate(f.path[:-1]):
                node = level.setdefault(part, {})
                if not isinstance(node, dict):
                    raise UploadError(f"{'/'.join(f.path[:depth + 1])!r} is both a file and"
                                      " a folder in this upload")
                level = node
            if f.path[-1] in level:
                raise UploadError(f"{'/'.join(f.path)!r} is in this upload twice")
            level[f.path[-1]] = f

        def build(name: str, node: Any, path: str) -> Any:
            if isinstance(node, _File):
                return ImportedSource(name, node.cid, node.tsize, node.filesize, path=path)
            return DirSource(name, [build(n, c, f"{path}/{n}") for n, c in node.items()],
                             path=path)

        tops = [build(n, c, n) for n, c in tree.items()]
        wrap = wrap or len(tops) > 1
        job = Importer(options.with_(wrap_with_directory=wrap)).import_(tops)
        writer.write(job)
        assert job.result.root is not None
        return job.result.root

    def _car(self, stream: BinaryIO, fields: dict[str, str], policy: UploadPolicy | None,
             limit: int | None) -> UploadResult:
        from ..repo.car import import_car

        if policy is not None and not policy.allows_mime(CAR_TYPE):
            raise UploadError(f"this upload URL does not allow files of type {CAR_TYPE}", 415)
        name, meta, groups, network = self._pin_fields(fields, policy)
        counted = _Counted(stream, _Budget(limit, "the upload"))
        started = time.time_ns()
        result = import_car(self.repo.pins, self.repo.blocks, [counted], pin=True,
                            name=name or "", meta=meta, groups=groups,
                            **_network_kw(network))
        if not result.pins:
            raise UploadError("the CAR names no root to pin")
        pin = result.pins[0]
        page = self.repo.pins.query(cid=pin.cid, before=started, status=None, limit=1)
        return self._result(pin, size=counted.count, files=1, mime=CAR_TYPE,
                            duplicate=page.total > 0, group=groups[0] if groups else None)

    def _pin(self, writer: Any, root: CID, fields: Mapping[str, str],
             policy: UploadPolicy | None, *, size: int, files: int, mime: str,
             default_name: str) -> UploadResult:
        name, meta, groups, network = self._pin_fields(fields, policy)
        duplicate = self.repo.pins.query(cid=root, status=None, limit=1).total > 0
        pin = writer.pin([root], name=name if name is not None else default_name, meta=meta,
                         groups=groups, **_network_kw(network))[0]
        return self._result(pin, size=size, files=files, mime=mime, duplicate=duplicate,
                            group=groups[0] if groups else None)

    def _result(self, pin: Pin, *, size: int, files: int, mime: str, duplicate: bool,
                group: str | None) -> UploadResult:
        group_id = None
        if group is not None:
            group_id = self.repo.pins.group_id(group)
        return UploadResult(pin.id, pin.cid, size, pin.name, files, mime, duplicate, group_id,
                            dict(pin.meta), iso_ns(pin.created),
                            getattr(pin, "network", "public"))

    def _pin_fields(self, fields: Mapping[str, str], policy: UploadPolicy | None
                    ) -> tuple[str | None, dict[str, Any], list[str], str | None]:
        if policy is not None:
            return (policy.name, dict(policy.keyvalues),
                    [policy.group] if policy.group else [], policy.network)
        name = fields.get("name")
        meta: dict[str, Any] = {}
        if fields.get("keyvalues"):
            try:
                meta = json.loads(fields["keyvalues"], parse_constant=_no_constant)
            except (ValueError, RecursionError):
                raise UploadError("keyvalues must be a JSON object") from None
            if not isinstance(meta, dict):
                raise UploadError("keyvalues must be a JSON object")
        group = fields.get("group") or fields.get("group_id")
        network = fields.get("network") or None
        if network is not None and network not in NETWORKS:
            raise UploadError("network is public or private")
        return name, meta, [group] if group else [], network

    def _import_options(self, fields: Mapping[str, str]) -> ImportOptions:
        opts = self.options
        if "cidVersion" in fields:
            try:
                version = parse_int(fields["cidVersion"], "cidVersion", minimum=0, maximum=1)
            except PinfoldError as exc:
                raise UploadError(str(exc)) from None
            opts = opts.with_(cid_version=version)
        if "wrapWithDirectory" in fields:
            text = fields["wrapWithDirectory"].strip().lower()
            if text not in ("true", "false"):
                raise UploadError("wrapWithDirectory is true or false")
            opts = opts.with_(wrap_with_directory=text == "true")
        try:
            opts.resolve()
        except PinfoldError as exc:
            raise UploadError(str(exc)) from None
        return opts


def _network_kw(network: str | None) -> dict[str, str]:
    return {"network": network} if network is not None else {}


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _field_text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise UploadError(f"{what} must be a string")
    return value
