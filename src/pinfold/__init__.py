"""pinfold: IPFS content, Kubo-identical, inside your Python process.

Import files, directories and in-memory trees into UnixFS blocks with the CIDs Kubo and Helia
compute, with no daemon and no network.
"""

from .block import Block
from .cid import CID
from .codecs.unixfs import Mtime
from .errors import (
    AccessDenied,
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
from .lazy import lazy_attributes
from .numbers import NumberError
from .version import __version__

_LAZY = {"exporter": (".exporter", None), "Repo": (".repo", "Repo"),
         "RepoError": (".repo", "RepoError"), "car": (".car", None), "ipld": (".ipld", None),
         "gateway": (".gateway", None), "CarError": (".car", "CarError"),
         "CarReader": (".car", "CarReader"), "keys": (".keys", None), "ipns": (".ipns", None),
         "Names": (".ipns", "Names"), "access": (".access", None),
         "web": (".web", None), "pinservice": (".pinservice", None),
         "PinService": (".pinservice", "PinService"), "upload": (".upload", None),
         "Uploads": (".upload", "Uploads"),
         **{name: (".importer", name) for name in (
             "AddedEntry", "Entry", "Importer", "ImportOptions", "ImportResult",
             "ProgressEvent", "add", "cid_of", "cid_of_json", "iter_blocks")}}


# The importer, repo, exporter, CAR, IPLD, gateway, keys and IPNS modules load on first use,
# so a command (``pinfold add -n``, ``pinfold cat``) starts with only what it needs.
__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)

__all__ = [
    "CID",
    "AccessDenied",
    "AddedEntry",
    "Block",
    "BlockNotFoundError",
    "CarError",
    "CarReader",
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
    "Names",
    "NotAFileError",
    "NumberError",
    "PathNotFoundError",
    "PinfoldError",
    "ProgressEvent",
    "Repo",
    "RepoError",
    "UnsupportedHashError",
    "access",
    "add",
    "car",
    "cid_of",
    "cid_of_json",
    "exporter",
    "gateway",
    "ipld",
    "ipns",
    "iter_blocks",
    "keys",
    "web",
    "__version__",
]
