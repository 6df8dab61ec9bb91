"""The commands of ``pinfold``, in the order ``pinfold --help`` lists them.

Each entry is a module of this package with one function, ``register(sub)``, that adds its
parsers to ``sub`` (a :class:`~.common.Subcommands`) and gives each a ``func`` default: the
function ``main`` calls with the parsed arguments, returning the exit status. A new command is
a new module added here, one line; command modules import :mod:`.common`, never ``main``.
"""

from __future__ import annotations

from . import access, add, blocks, car, dag, groups, init, keys, names, pins, read, repo, upload

COMMANDS = (init, pins, groups, read, blocks, repo, dag, car, add, keys, names, access,
            upload)
