"""Package attributes that load their module on first use (PEP 562), so that importing a
package costs only what its caller touches: ``pinfold`` itself, ``pinfold.keys`` and
``pinfold.ipns`` (whose modules bring ``cryptography``) use it, and the CLI starts without
loading what its command does not need.

A package passes its name and a table ``{attribute: (module, name or None)}``, the module
relative to the package, ``None`` for the module itself, and binds what comes back::

    __getattr__, __dir__ = lazy_attributes(__name__, {"Keyring": (".keyring", "Keyring")})

:func:`load_numpy` does the same for numpy, which is optional (the ``fast`` extra): the
chunkers and flatfs's batch naming call it where they would use it, and nothing imports numpy
at module level.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_attributes(package: str, table: Mapping[str, tuple[str, str | None]]
                    ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module-level ``__getattr__`` and ``__dir__`` of ``package`` over ``table``: an
    attribute's module is imported when it is first read, and the value kept in the package."""

    def __getattr__(name: str) -> Any:
        entry = table.get(name)
        if entry is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module_name, attr = entry
        module = importlib.import_module(module_name, package)
        value = module if attr is None else getattr(module, attr)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(table))

    return __getattr__, __dir__


def load_numpy(use_numpy: bool | None) -> Any:
    """The numpy module, or None for the pure-Python path.

    ``None``: numpy if it imports; ``True``: numpy or ImportError; ``False``: pure Python.
    """
    if use_numpy is False:
        return None
    try:
        import numpy
    except ImportError:
        if use_numpy:
            raise
        return None
    return numpy
