"""The UnixFS importer: files, directories and in-memory trees to blocks and CIDs."""

from .importer import (
    AddedEntry,
    BlockSink,
    Importer,
    ImportJob,
    ImportResult,
    ProgressEvent,
    add,
    cid_of,
    cid_of_json,
    iter_blocks,
    json_bytes,
)
from .options import PROFILES, ImportOptions, Params, default_workers
from .source import DirSource, Entry, ImportedSource

__all__ = [
    "PROFILES",
    "AddedEntry",
    "BlockSink",
    "DirSource",
    "Entry",
    "ImportJob",
    "ImportOptions",
    "ImportResult",
    "ImportedSource",
    "Importer",
    "Params",
    "ProgressEvent",
    "add",
    "cid_of",
    "cid_of_json",
    "iter_blocks",
    "default_workers",
    "json_bytes",
]
