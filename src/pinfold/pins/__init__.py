"""Pins, reference counts and garbage collection."""

from .pinset import GCResult, Lease, Pin, PinError, PinSet, Problem

__all__ = ["GCResult", "Lease", "Pin", "PinError", "PinSet", "Problem"]
