"""IPNS: mutable names signed with the repo's keys, offline and byte-identical to Kubo.

- :func:`create_record`, :func:`unmarshal_record`, :class:`Record`: records as boxo makes
  and reads them (V1+V2 by default, V2-only on request).
- :func:`validate_record`, :func:`select_record`: verification as the IPNS record spec
  says, and the best of several records.
- :class:`Name`: ``k51...`` / ``12D3KooW...`` names.
- :class:`RecordStore` (interface), :class:`FSRecordStore`, :class:`MemoryRecordStore`.
- :func:`resolve`, :class:`Resolution`: ``/ipns/<name>[/path]`` to ``/ipfs/...``.
- :class:`Names`: a repo's keys and records with Kubo's ``name publish|resolve|get|put``
  rules; :func:`ipfs_path` turns an ``/ipns/`` path into an ``/ipfs/`` one for the
  commands that read content.
- :func:`parse_duration`, :func:`format_duration`, :func:`parse_rfc3339`,
  :func:`format_rfc3339nano`: Go's duration and time text.

See ``docs/names.md``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ..lazy import lazy_attributes

if TYPE_CHECKING:  # loaded on first use, so the CLI starts without cryptography
    from .errors import (
        ExpiredRecordError,
        InvalidNameError,
        InvalidRecordError,
        IpnsError,
        RecordNotFoundError,
        RecordValidationError,
        ResolveError,
        SequenceError,
    )
    from .name import Name, split_ipns_path
    from .names import Names, Published, records_path
    from .record import (
        DEFAULT_LIFETIME,
        DEFAULT_TTL,
        MAX_RECORD_SIZE,
        Record,
        content_path,
        create_record,
        format_validity,
        unmarshal_record,
    )
    from .resolve import DEPTH_LIMIT, Resolution, resolve
    from .store import FSRecordStore, MemoryRecordStore, RecordStore
    from .timefmt import (
        TimeFormatError,
        format_duration,
        format_rfc3339nano,
        parse_duration,
        parse_rfc3339,
    )
    from .validate import record_public_key, select_record, validate_record

#: Each public name and the module of this package that defines it.
__getattr__, __dir__ = lazy_attributes(__name__, {
    "DEFAULT_LIFETIME": (".record", "DEFAULT_LIFETIME"),
    "DEFAULT_TTL": (".record", "DEFAULT_TTL"),
    "DEPTH_LIMIT": (".resolve", "DEPTH_LIMIT"),
    "ExpiredRecordError": (".errors", "ExpiredRecordError"),
    "FSRecordStore": (".store", "FSRecordStore"),
    "InvalidNameError": (".errors", "InvalidNameError"),
    "InvalidRecordError": (".errors", "InvalidRecordError"),
    "IpnsError": (".errors", "IpnsError"),
    "MAX_RECORD_SIZE": (".record", "MAX_RECORD_SIZE"),
    "MemoryRecordStore": (".store", "MemoryRecordStore"),
    "Name": (".name", "Name"),
    "Names": (".names", "Names"),
    "Published": (".names", "Published"),
    "Record": (".record", "Record"),
    "RecordNotFoundError": (".errors", "RecordNotFoundError"),
    "RecordStore": (".store", "RecordStore"),
    "RecordValidationError": (".errors", "RecordValidationError"),
    "Resolution": (".resolve", "Resolution"),
    "ResolveError": (".errors", "ResolveError"),
    "SequenceError": (".errors", "SequenceError"),
    "TimeFormatError": (".timefmt", "TimeFormatError"),
    "content_path": (".record", "content_path"),
    "create_record": (".record", "create_record"),
    "format_duration": (".timefmt", "format_duration"),
    "format_rfc3339nano": (".timefmt", "format_rfc3339nano"),
    "format_validity": (".record", "format_validity"),
    "parse_duration": (".timefmt", "parse_duration"),
    "parse_rfc3339": (".timefmt", "parse_rfc3339"),
    "record_public_key": (".validate", "record_public_key"),
    "records_path": (".names", "records_path"),
    "resolve": (".resolve", "resolve"),
    "select_record": (".validate", "select_record"),
    "split_ipns_path": (".name", "split_ipns_path"),
    "unmarshal_record": (".record", "unmarshal_record"),
    "validate_record": (".validate", "validate_record"),
})


def ipfs_path(repo_dir: str | os.PathLike, path: str) -> str:
    """``path`` unchanged, unless it is ``/ipns/<name>[/sub/path]``: then the
    ``/ipfs/<cid>[/...]`` path the records of the repo at ``repo_dir`` lead to (what
    ``cat``, ``ls``, ``stat``, ``get``, ``dag export``, ``dag get`` and ``pin add`` read)."""
    if not (isinstance(path, str) and path.startswith("/ipns/")):
        return path
    from .names import Names

    return Names.open(repo_dir).ipfs_path(path)


__all__ = [
    "DEFAULT_LIFETIME",
    "DEFAULT_TTL",
    "DEPTH_LIMIT",
    "MAX_RECORD_SIZE",
    "ExpiredRecordError",
    "FSRecordStore",
    "InvalidNameError",
    "InvalidRecordError",
    "IpnsError",
    "MemoryRecordStore",
    "Name",
    "Names",
    "Published",
    "Record",
    "RecordNotFoundError",
    "RecordStore",
    "RecordValidationError",
    "Resolution",
    "ResolveError",
    "SequenceError",
    "TimeFormatError",
    "content_path",
    "create_record",
    "format_duration",
    "format_rfc3339nano",
    "format_validity",
    "ipfs_path",
    "parse_duration",
    "parse_rfc3339",
    "record_public_key",
    "records_path",
    "resolve",
    "select_record",
    "split_ipns_path",
    "unmarshal_record",
    "validate_record",
]
