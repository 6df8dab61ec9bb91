"""pinfold.repo.prefetch: read-ahead for sequential readers of a repo."""

from __future__ import annotations

import pytest

import pinfold
from pinfold import CID
from pinfold.codecs.links import links_of
from pinfold.exporter import (
    cat,
    cat_bytes,
    walk,
)
from tests.exporter.helpers import rand

from .helpers import BACKENDS, blob


@pytest.mark.parametrize("backend", BACKENDS)
def test_read_ahead_covers_a_file_whose_root_has_more_children_than_the_window(make_repo,
                                                                               backend):
    """Of each node's children the reader reads every other one itself and the worker the
    rest, ahead: also the leaves under the root's later children (the window is not filled
    by the root's own children), and no block is read twice."""
    import threading

    repo = make_repo(backend)
    content = blob("wide", 400 * 1024)
    root = repo.add(content, chunker="size-1024", max_links=20).root  # 20 x 20 leaves
    inner = links_of(root, repo.block_get(root))
    assert len(inner) == 20
    ahead_expected = set(inner[1::2])
    for child in inner:
        ahead_expected |= set(links_of(child, repo.block_get(child))[1::2])
    direct: list[CID] = []
    ahead: list[CID] = []
    get = repo.blocks.get

    def spy(cid):
        main = threading.current_thread() is threading.main_thread()
        (direct if main else ahead).append(cid)
        return get(cid)

    repo.blocks.get = spy
    try:
        assert b"".join(pinfold.exporter.cat(repo, root)) == content
        assert set(ahead) == ahead_expected and len(ahead) == 210
        assert len(direct) == len(set(direct)) == 211 and root in direct
        assert not set(direct) & set(ahead)
        direct.clear()
        ahead.clear()
        assert b"".join(pinfold.exporter.cat(repo, root, offset=1000, length=300_000)) \
            == content[1000:301_000]
        assert not set(direct) & set(ahead) and len(ahead) == len(set(ahead))
        # leaves 0-293 of 1,024 bytes under 15 inner nodes: the worker reads about half
        assert len(direct) + len(ahead) == 1 + 15 + 294
        assert 140 <= len(ahead) <= 160
    finally:
        del repo.blocks.get


def test_an_abandoned_read_does_not_clog_read_ahead(make_repo):
    """A reader that stops early (a client that went away) drops its read-ahead."""
    repo = make_repo("lmdb")
    data = rand(3_000_000)
    root = repo.add(data, chunker="size-10000").root
    for _ in range(5):
        it = cat(repo, root)
        next(it)
        it.close()
        pre = repo._prefetcher
        assert not pre.queue and not pre.inflight
    for _ in range(3):
        it = walk(repo, root)
        next(it), next(it), next(it)
        it.close()
        assert not repo._prefetcher.queue and not repo._prefetcher.inflight
    assert cat_bytes(repo, root) == data
    assert not repo._prefetcher.queue and not repo._prefetcher.inflight
