"""Valid content for the fuzz targets to start from: one small repo holding every kind of
node pinfold reads (multi-block files, a plain directory with awkward names, a HAMT-sharded
directory, a symlink, mode/mtime metadata, DAG-CBOR and DAG-JSON blocks linking into UnixFS,
an identity CID), its blocks, and CARs of it (v1, v2 with each index format).

Built once per process (:func:`content`); targets treat it as read-only.
"""

from __future__ import annotations

import functools
import io
from collections import deque
from dataclasses import dataclass, field

from pinfold import CID, Entry, Repo, ipld
from pinfold.car import INDEX_SORTED, MULTIHASH_INDEX_SORTED, write_car
from pinfold.codecs import dagpb

FILE = b"".join(bytes([65 + i]) * 700 for i in range(8))  # eight distinct 700-byte chunks
SMALL = b"<html><body>hi</body></html>\n"
#: entry names of the plain directory: spaces, percent signs, non-ASCII, a dot file
NAMES = ["index.html", "a b.txt", "100%.txt", "é.txt", ".hidden", "big.bin", "empty"]
LAYOUT = dict(cid_version=1, raw_leaves=True, chunker="size-700", max_links=3)


@dataclass
class Content:
    repo: Repo
    roots: dict[str, CID]  # what each kind of root is called in the targets
    names: list[str]  # every entry name reachable by a path (plain, HAMT)
    blocks: list[tuple[CID, bytes]]  # every stored block
    cars: dict[str, bytes] = field(default_factory=dict)
    reachable: dict[CID, frozenset[CID]] = field(default_factory=dict)

    def under(self, root: CID) -> frozenset[CID]:
        """Every CID reachable from ``root`` (itself included), walked from the blocks with
        the DAG-PB codec and IPLD link extraction, not with the exporter under test."""
        got = self.reachable.get(root)
        if got is None:
            seen = {root}
            todo = deque([root])
            while todo:
                cid = todo.popleft()
                data = cid.identity_data if cid.is_identity else (
                    self.repo.get(cid) if self.repo.has(cid) else None)
                if data is None or cid.codec == "raw":
                    continue
                if cid.codec == "dag-pb":
                    children = [lk.cid for lk in dagpb.decode(data).links]
                else:
                    children = ipld.links(ipld.decode_block(cid, data))
                for child in children:
                    if child not in seen:
                        seen.add(child)
                        todo.append(child)
            got = self.reachable[root] = frozenset(seen)
        return got


@functools.cache
def content() -> Content:
    repo = Repo.memory()
    plain = [Entry(f"site/{n}", FILE if n == "big.bin" else b"" if n == "empty" else SMALL)
             for n in NAMES]
    plain += [Entry("site/sub/deep.txt", b"deep\n", mode=0o640, mtime=1700000000.5),
              Entry("site/link", link="sub/deep.txt"),
              Entry("site/escape", link="../../../etc/passwd")]
    site = repo.add(plain, **LAYOUT)
    by_path = {e.path: e.cid for e in site.entries}
    hamt_entries = [Entry(f"hamt/f{i:02d}.txt", f"file {i}\n".encode()) for i in range(40)]
    hamt_entries.append(Entry("hamt/big.bin", FILE))
    hamt = repo.add(hamt_entries, hamt_threshold=64, hamt_fanout=8, **LAYOUT)
    hamt_root = next(e.cid for e in hamt.entries if e.path == "hamt")
    big = by_path["site/big.bin"]
    identity = CID.v1("raw", b"\x00\x05hello")
    cbor = repo.dag_put({"name": "x", "file": big, "list": [1, 2, {"dir": by_path["site"]}],
                         "bytes": b"\x00\xff", "n": -5, "f": 1.5, "id": identity})
    djson = repo.dag_put({"link": cbor, "text": "é"}, codec="dag-json")
    # sound DAG-CBOR that the encoders refuse to write again (nested past the stack)
    deep = repo.block_put(b"\x81" * 5000 + b"\x00", codec="dag-cbor")
    roots = {"dir": by_path["site"], "file": big, "small": by_path["site/index.html"],
             "empty": by_path["site/empty"], "symlink": by_path["site/link"],
             "escape": by_path["site/escape"], "sub": by_path["site/sub"], "hamt": hamt_root,
             "cbor": cbor, "json": djson, "deep": deep, "identity": identity}
    for cid in roots.values():
        if not cid.is_identity:
            repo.pin(cid)
    names = NAMES + ["sub", "deep.txt", "link", "escape"] + [e.path.split("/", 1)[1]
                                                              for e in hamt_entries]
    blocks = [(cid, repo.get(cid)) for cid in sorted(_all_cids(repo, roots.values()))]
    c = Content(repo, roots, names, blocks)
    for kind in ("dir", "hamt", "cbor"):
        root = roots[kind]
        mine = [(cid, data) for cid, data in blocks if cid in c.under(root)]
        for version, codec, label in ((1, None, "v1"), (2, MULTIHASH_INDEX_SORTED, "v2"),
                                      (2, INDEX_SORTED, "v2-sorted")):
            out = io.BytesIO()
            kw = {} if codec is None else {"index_codec": codec}
            write_car(out, [root], mine, version=version, **kw)
            c.cars[f"{kind}-{label}"] = out.getvalue()
    return c


def _all_cids(repo: Repo, roots) -> set[CID]:
    seen: set[CID] = set()
    todo = [r for r in roots if not r.is_identity]
    while todo:
        cid = todo.pop()
        if cid in seen or cid.is_identity:
            continue
        seen.add(cid)
        data = repo.get(cid)
        if cid.codec == "dag-pb":
            todo.extend(lk.cid for lk in dagpb.decode(data).links)
        elif cid.codec != "raw":
            todo.extend(ipld.links(ipld.decode_block(cid, data)))
    return seen
