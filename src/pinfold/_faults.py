"""Crash injection for the crash-safety tests.

With ``PINFOLD_KILL_AFTER=N`` in the environment, the N-th call of :func:`checkpoint` kills
the process with SIGKILL, as a power cut or ``kill -9`` would. Checkpoints sit between the
durable steps of writing blocks, committing pins and collecting garbage. Unset, a checkpoint
is one global lookup.
"""

from __future__ import annotations

import os
import signal

_left = int(os.environ.get("PINFOLD_KILL_AFTER", "0") or 0)
ENABLED = _left > 0


def checkpoint(_where: str = "") -> None:
    global _left
    if not ENABLED:
        return
    _left -= 1
    if _left == 0:
        os.kill(os.getpid(), signal.SIGKILL)
