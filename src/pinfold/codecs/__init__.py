"""Block codecs: DAG-PB framing, UnixFS Data messages, raw blocks."""

from . import dagpb, unixfs
from .dagpb import PBLink, PBNode
from .unixfs import Mtime, NodeType, UnixFSData

__all__ = ["Mtime", "NodeType", "PBLink", "PBNode", "UnixFSData", "dagpb", "unixfs"]
