"""pinfold: IPFS content, Kubo-identical, inside your Python process.

Import files, directories and in-memory trees into UnixFS blocks with the CIDs Kubo and Helia
compute, with no daemon and no network.
"""

from .block import Block
from .cid import CID
from .codecs.unixfs import Mtime
from .errors import (
    DecodeError,
    ImportSourceError,
    InvalidCIDError,
    InvalidOptionError,
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

__version__ = "0.1.0"

__all__ = [
    "CID",
    "AddedEntry",
    "Block",
    "DecodeError",
    "Entry",
    "ImportOptions",
    "ImportResult",
    "ImportSourceError",
    "Importer",
    "InvalidCIDError",
    "InvalidOptionError",
    "Mtime",
    "PinfoldError",
    "ProgressEvent",
    "UnsupportedHashError",
    "add",
    "cid_of",
    "cid_of_json",
    "iter_blocks",
    "__version__",
]
