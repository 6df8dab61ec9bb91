"""Pins, reference counts and garbage collection.

:class:`Pinner` (:mod:`pinfold.pins.interface`) is the pin-set interface and its guarantees;
:class:`PinSet` implements it on SQLite; :func:`collect` (:mod:`pinfold.pins.gc`) is gc over a
blockstore and any pin set.
"""

from ..lazy import lazy_attributes
from .gc import collect
from .interface import Lease, Pinner
from .pinset import PinSet
from .records import GCResult, Group, Page, Pin, PinError, Problem

# the PostgreSQL pin set loads when first named (a local repo's commands never load it)
__getattr__, __dir__ = lazy_attributes(__name__, {"PgPinSet": (".pg", "PgPinSet"),
                                                  "PgPinSetError": (".pg", "PgPinSetError")})

__all__ = ["GCResult", "Group", "Lease", "Page", "PgPinSet", "PgPinSetError", "Pin", "PinError",
           "PinSet", "Pinner", "Problem", "collect"]
