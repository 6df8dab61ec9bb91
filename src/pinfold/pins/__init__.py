"""Pins, reference counts and garbage collection.

:class:`Pinner` (:mod:`pinfold.pins.interface`) is the pin-set interface and its guarantees;
:class:`PinSet` implements it on SQLite; :func:`collect` (:mod:`pinfold.pins.gc`) is gc over a
blockstore and any pin set.
"""

from ..lazy import lazy_attributes

# every name loads its module when first used: the CLI's metadata parsing imports
# pinfold.pins.meta, and `add -n` must not pay for the pin set, gc and their codecs (36
# modules, ~40 ms a process); a local repo's commands never load the PostgreSQL pin set
__getattr__, __dir__ = lazy_attributes(__name__, {
    "collect": (".gc", "collect"),
    "Lease": (".interface", "Lease"), "Pinner": (".interface", "Pinner"),
    "PinSet": (".pinset", "PinSet"),
    **{name: (".records", name)
       for name in ("GCResult", "Group", "Page", "Pin", "PinError", "Problem")},
    "PgPinSet": (".pg", "PgPinSet"), "PgPinSetError": (".pg", "PgPinSetError"),
})

__all__ = ["GCResult", "Group", "Lease", "Page", "PgPinSet", "PgPinSetError", "Pin", "PinError",
           "PinSet", "Pinner", "Problem", "collect"]
