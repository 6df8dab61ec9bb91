"""The ``pinfold`` command: a thin layer over the library, with Kubo's command names and flags."""
