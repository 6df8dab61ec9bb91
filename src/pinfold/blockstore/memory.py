"""A blockstore in a dict: for tests, caches and short-lived work."""

from __future__ import annotations

from collections.abc import Iterator

from .base import BaseBlockstore


class MemoryBlockstore(BaseBlockstore):
    def __init__(self) -> None:
        self._blocks: dict[bytes, bytes] = {}

    def _has(self, mh: bytes) -> bool:
        return mh in self._blocks

    def _get(self, mh: bytes) -> bytes | None:
        return self._blocks.get(mh)

    def _put_many(self, items: list[tuple[bytes, bytes]]) -> None:
        for mh, data in items:
            self._blocks.setdefault(mh, data)

    def _delete(self, mh: bytes) -> bool:
        return self._blocks.pop(mh, None) is not None

    def _size(self, mh: bytes) -> int | None:
        data = self._blocks.get(mh)
        return None if data is None else len(data)

    def keys(self) -> Iterator[bytes]:
        return iter(list(self._blocks))

    def __len__(self) -> int:
        return len(self._blocks)


class NullBlockstore(BaseBlockstore):
    """Keeps nothing: what ``add --only-hash`` writes to."""

    def _has(self, mh: bytes) -> bool:
        return False

    def _get(self, mh: bytes) -> bytes | None:
        return None

    def _put_many(self, items: list[tuple[bytes, bytes]]) -> None:
        pass

    def _delete(self, mh: bytes) -> bool:
        return False

    def _size(self, mh: bytes) -> int | None:
        return None

    def keys(self) -> Iterator[bytes]:
        return iter(())
