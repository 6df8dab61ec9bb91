"""pinfold: IPFS content, Kubo-identical, inside your Python process.

Import files, directories and in-memory trees into UnixFS blocks with the CIDs Kubo and Helia
compute, with no daemon and no network.
"""

from . import exporter
from .block import Block
from .cid import CID
from .codecs.unixfs import Mtime
from .errors import (
    BlockNotFoundError,
    CorruptBlockError,
    DecodeError,
    ImportSourceError,
    InvalidCIDError,
    InvalidOptionError,
    NotAFileError,
    PathNotFoundError,
    PinfoldError,
    UnsupportedHashError,
)
from .importer import (
    AddedEntry,
    Entry,
    Importer,
    ImportOptions,
    ImportResult,
    ProgressEvent,
    add,
    cid_of,
    cid_of_json,
    iter_blocks,
)
from .repo import Repo, RepoError

__version__ = "0.1.0"

__all__ = [
    "CID",
    "AddedEntry",
    "Block",
    "BlockNotFoundError",
    "CorruptBlockError",
    "DecodeError",
    "Entry",
    "ImportOptions",
    "ImportResult",
    "ImportSourceError",
    "Importer",
    "InvalidCIDError",
    "InvalidOptionError",
    "Mtime",
    "NotAFileError",
    "PathNotFoundError",
    "PinfoldError",
    "ProgressEvent",
    "Repo",
    "RepoError",
    "UnsupportedHashError",
    "add",
    "cid_of",
    "cid_of_json",
    "exporter",
    "iter_blocks",
    "__version__",
]
