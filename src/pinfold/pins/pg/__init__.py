"""The pin set on PostgreSQL (psycopg 3): :class:`PgPinSet`, shared by processes and hosts.

``import pinfold`` does not load psycopg; it is imported when a pin set is opened.
"""

from .pinset import DEFAULT_GRACE, PgPinSet
from .store import PgPinSetError

__all__ = ["DEFAULT_GRACE", "PgPinSet", "PgPinSetError"]
