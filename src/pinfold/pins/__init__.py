"""Pins, reference counts and garbage collection.

:class:`Pinner` (:mod:`pinfold.pins.interface`) is the pin-set interface and its guarantees;
:class:`PinSet` implements it on SQLite; :func:`collect` (:mod:`pinfold.pins.gc`) is gc over a
blockstore and any pin set.
"""

from .gc import collect
from .interface import Lease, Pinner
from .pg import PgPinSet, PgPinSetError
from .pinset import PinSet
from .records import GCResult, Group, Page, Pin, PinError, Problem

__all__ = ["GCResult", "Group", "Lease", "Page", "PgPinSet", "PgPinSetError", "Pin", "PinError",
           "PinSet", "Pinner", "Problem", "collect"]
