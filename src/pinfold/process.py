"""Whether a process still runs: what leases, pins in progress and temporary files are tied to.

A pid alone is not enough (pids are reused), so an owner is a pid and a token for its start
time; a process whose pid is taken by a newer one counts as gone.
"""

from __future__ import annotations

import os

_own: dict[int, str] = {}  # this process's token, by pid (a forked child has its own)


def process_start(pid: int) -> str:
    """A token for a process's start time ("" where it cannot be read), so that a reused pid
    is not taken for the process that first had it."""
    if pid in _own:  # a running process's start time never changes: read /proc once
        return _own[pid]
    token = _read_start(pid)
    if pid == os.getpid():
        _own[pid] = token
    return token


def _read_start(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return fields[19].decode()
    except (OSError, IndexError):
        return ""


def process_alive(pid: int, start: str) -> bool:
    """Whether process ``pid`` runs and (if ``start`` is given) is the one that started then."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not start or process_start(pid) == start
