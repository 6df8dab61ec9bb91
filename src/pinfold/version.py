"""pinfold's version, in one module of its own: the root package re-exports it, and the CLI and
the gateway read it from here (a submodule importing from its own package's ``__init__``
would be an import cycle)."""

__version__ = "0.1.0"
