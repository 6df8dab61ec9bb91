"""Fixtures of the pin-set tests: every repo they use has the pin set of ``pinset_backend``.

The tests here check the pin set's behaviour (records, queries, metadata, groups, statuses,
reference counts, gc, leases) through the public interface (:class:`pinfold.pins.Pinner`, as
the repo facade calls it), on a repo from ``repo`` (one per blockstore kind), ``make_repo``
or ``shared_repos``. All three come through :func:`with_pinset`, so a second pin-set
implementation is added in one place (see tests/README.md).
"""

from __future__ import annotations

import secrets

import pytest

from pinfold.repo import Repo
from tests.repo.helpers import KINDS

from .helpers import build_meta

PINSETS = ["sqlite", "postgres"]  # the pin-set implementations these tests run against


@pytest.fixture(scope="session", params=PINSETS)
def pinset_backend(request):
    """The pin set under the repos of these tests: "sqlite" (the repo's own :class:`PinSet`)
    or "postgres" (a :class:`~pinfold.pins.pg.PgPinSet` in a schema of its own on the
    session's PostgreSQL server). Every test here runs against both, asserting the same."""
    if request.param == "postgres":
        request.getfixturevalue("postgres_server")
    return request.param


def pinset_options(backend: str, request: pytest.FixtureRequest) -> dict:
    """What ``Repo.init`` takes to put the pin set of ``backend`` under a repo on disk (a
    PostgreSQL pin set: in a new schema of the session server's database, no gc grace)."""
    if backend == "sqlite":
        return {}
    if backend != "postgres":
        raise ValueError(f"no pin-set backend {backend!r} in tests/pins/conftest.py")
    server = request.getfixturevalue("postgres_server")
    return {"pinset": server.url(), "pinset_schema": "t_" + secrets.token_hex(6),
            "gc_grace": 0}


def with_pinset(repo: Repo, backend: str, request: pytest.FixtureRequest) -> Repo:
    """A repo in memory with the pin set of ``backend`` under it (SQLite: the one it opened;
    PostgreSQL: a new one, as :func:`pinset_options` makes it)."""
    opts = pinset_options(backend, request)
    if not opts:
        return repo
    from pinfold.pins.pg import PgPinSet

    server = request.getfixturevalue("postgres_server")
    repo.pins.close()
    repo.pins = PgPinSet(server.dsn(), repo.blocks, grace=0, schema=opts["pinset_schema"])
    return repo


@pytest.fixture
def make_repo(make_repo, pinset_backend, request):
    """The root ``make_repo(kind)`` (a blockstore kind), with the pin set of ``pinset_backend``.
    The root ``repo`` fixture, one repo per blockstore kind, takes its repos from here."""

    def make(kind: str, **kw) -> Repo:
        if kind == "memory":
            return with_pinset(make_repo(kind, **kw), pinset_backend, request)
        return make_repo(kind, **kw, **pinset_options(pinset_backend, request))

    return make


def pytest_collection_modifyitems(config, items):
    """A test marked ``sqlite_only`` (it sets up or checks what only the SQLite pin set has:
    its file, its pid owners) is not collected for the other pin sets."""
    keep, drop = [], []
    for item in items:
        spec = getattr(item, "callspec", None)
        backend = spec.params.get("pinset_backend") if spec is not None else None
        if backend not in (None, "sqlite") and item.get_closest_marker("sqlite_only"):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


# -- fixtures -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def shared_repos(tmp_path_factory, pinset_backend, request):
    """Repos built once per module for read-only tests: ``shared_repos(kind, build)``."""
    cache: dict = {}

    def get(kind: str, build) -> Repo:
        key = (kind, build.__name__)
        if key not in cache:
            if kind == "memory":
                repo = with_pinset(Repo.memory(), pinset_backend, request)
            else:
                repo = Repo.init(tmp_path_factory.mktemp(f"shared-{kind}") / "repo",
                                 backend=kind, fsync=False,
                                 **pinset_options(pinset_backend, request))
            build(repo)
            cache[key] = repo
        return cache[key]

    yield get
    for repo in cache.values():
        repo.close()


@pytest.fixture(params=KINDS)
def meta_repo(request, shared_repos):
    return shared_repos(request.param, build_meta)
