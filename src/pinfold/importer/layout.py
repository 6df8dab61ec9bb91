"""File layouts: how leaves are gathered under internal nodes (boxo ``importer/balanced``,
``importer/trickle``). Both stream: they hold a few links per tree level, never the chunks."""

from __future__ import annotations

from collections.abc import Generator, Iterator

from ..block import Block
from ..codecs.unixfs import Mtime
from .dag import CidBuilder, Node, file_node

Leaves = Iterator[tuple[Node, Block]]
Built = Generator[Block, None, Node]


class _Peekable:
    __slots__ = ("_it", "_next", "_done")

    def __init__(self, it: Leaves) -> None:
        self._it = it
        self._next: tuple[Node, Block] | None = None
        self._done = False

    def done(self) -> bool:
        if self._next is None and not self._done:
            try:
                self._next = next(self._it)
            except StopIteration:
                self._done = True
        return self._next is None

    def take(self) -> tuple[Node, Block]:
        if self.done():
            raise StopIteration
        item = self._next
        self._next = None
        assert item is not None
        return item


def balanced(
    leaves: Leaves,
    builder: CidBuilder,
    max_links: int,
    mode: int | None = None,
    mtime: Mtime | None = None,
) -> Built:
    """Kubo's balanced layout for two or more leaves (or one, wrapped in a parent).

    All leaves sit at the same depth; each level is filled left to right with ``max_links``
    children per node. ``levels[k]`` holds the finished children waiting for a level-``k+1``
    parent; a level is flushed into a parent only when another child arrives, so the shape is
    exactly Kubo's (a node with one child appears where Kubo makes one).
    """
    levels: list[list[Node]] = [[]]

    def push(level: int, node: Node) -> Iterator[Block]:
        if len(levels[level]) == max_links:
            parent, blk = file_node(builder, levels[level])
            yield blk
            levels[level] = []
            if level + 1 == len(levels):
                levels.append([])
            yield from push(level + 1, parent)
        levels[level].append(node)

    for node, blk in leaves:
        yield blk
        yield from push(0, node)

    # Close every level from the bottom up. A flush at the end always leaves two or more
    # children on the level above, so the top level's node is the root.
    level = 0
    while True:
        kids = levels[level]
        if level == len(levels) - 1:  # the top level: its node is the root
            root, blk = file_node(builder, kids, mode, mtime)
            yield blk
            return root
        parent, blk = file_node(builder, kids)
        yield blk
        levels[level] = []
        yield from push(level + 1, parent)
        level += 1



def trickle(
    leaves: Leaves,
    builder: CidBuilder,
    max_links: int,
    layer_repeat: int = 4,
    mode: int | None = None,
    mtime: Mtime | None = None,
) -> Built:
    """Kubo's trickle layout: each node takes ``max_links`` leaves, then ``layer_repeat``
    subtrees of depth 1, 2, ... The root is always an internal node, even for one leaf."""
    src = _Peekable(leaves)

    def fill(max_depth: int, root: bool) -> Generator[Block, None, Node]:
        kids: list[Node] = []
        while len(kids) < max_links and not src.done():
            node, blk = src.take()
            yield blk
            kids.append(node)
        depth = 1
        while max_depth == -1 or depth < max_depth:
            if src.done():
                break
            repeat = 0
            while repeat < layer_repeat and not src.done():
                child = yield from fill(depth, False)
                kids.append(child)
                repeat += 1
            depth += 1
        if root:
            node, blk = file_node(builder, kids, mode, mtime)
        else:
            node, blk = file_node(builder, kids)
        yield blk
        return node

    return (yield from fill(-1, True))
