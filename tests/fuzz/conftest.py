"""Hypothesis profiles of the fuzz suite (see docs/fuzzing.md).

- ``fuzz`` (used when no ``--hypothesis-profile`` is given): a budget that keeps the whole of
  ``tests/fuzz`` around a minute on a busy 2-core machine, well under the
  three minutes allowed. It is built on the profile hypothesis loaded: ``default``, or, when
  the ``CI`` environment variable is set, hypothesis' own ``ci`` (derandomized, so a CI run
  draws the same examples every time and keeps no database; the checked-in examples are
  also explicit ``@example``s or regression tests, so they still run). The name is not
  ``ci``: registering that one would replace hypothesis' built-in profile for every test.
- ``long``: ``python -m pytest tests/fuzz --hypothesis-profile=long``, the pre-release run
  (about 40 minutes here); ``PINFOLD_FUZZ_EXAMPLES`` sets its base ``max_examples``.

Both replay the examples checked in under ``tests/fuzz/examples/`` (found failures, kept as
seeds: read-only in ``fuzz``, so a CI run never deletes one) and save new failures to
``.hypothesis/fuzz/`` (not checked in); ``long`` saves them to ``tests/fuzz/examples/`` too,
for committing. Every hole found also gets an explicit ``@example`` or a regression test, so
nothing depends on the database surviving an edit of the test it was recorded for.
"""

from __future__ import annotations

import datetime
import os
import pathlib

from hypothesis import HealthCheck, Phase, settings
from hypothesis.database import (
    DirectoryBasedExampleDatabase,
    MultiplexedDatabase,
    ReadOnlyDatabase,
)

HERE = pathlib.Path(__file__).parent
CHECKED_IN = DirectoryBasedExampleDatabase(HERE / "examples")
LOCAL = DirectoryBasedExampleDatabase(HERE.parent.parent / ".hypothesis" / "fuzz")

_COMMON = dict(
    # an example is a few kilobytes of work: seconds mean a hang-like slowness, not load
    deadline=datetime.timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.large_base_example, HealthCheck.filter_too_much],
    print_blob=True,
)

_LOADED = settings.get_current_profile_name()
_BASE = settings.get_profile(_LOADED if _LOADED in ("default", "ci") else "default")
settings.register_profile(
    "fuzz", parent=_BASE, max_examples=200,
    database=(None if _BASE.derandomize
              else MultiplexedDatabase(ReadOnlyDatabase(CHECKED_IN), LOCAL)),
    **_COMMON)
settings.register_profile(
    "long", parent=settings.get_profile("default"),
    max_examples=int(os.environ.get("PINFOLD_FUZZ_EXAMPLES", "6000")),
    database=MultiplexedDatabase(CHECKED_IN, LOCAL),
    # no shrinking budget worry: a long run is for finding, the shrinker still runs
    phases=list(Phase), **_COMMON)
