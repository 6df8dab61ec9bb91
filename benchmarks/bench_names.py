"""IPNS record throughput (issue 11): records created (signed, V1+V2, marshalled) and
verified (parsed, signatureV2 checked, V1 fields compared, expiry) per second, for each key
type, plus a publish/resolve round through a repo's file record store.

Run: ``python benchmarks/bench_names.py [--seconds 1.0]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

from _common import rate  # noqa: E402

from pinfold import Repo  # noqa: E402
from pinfold.ipns import Name, Names, create_record, validate_record  # noqa: E402
from pinfold.keys import generate_key  # noqa: E402

VALUE = "/ipfs/bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/index.html"
HOUR = 3600 * 10**9




def bench_type(kind: str, size: int | None, seconds: float) -> tuple[float, float, int]:
    """(created/s, verified/s, record bytes) for one key type."""
    key = generate_key(kind, size)
    name = Name.from_public_key(key.public_key)
    eol = time.time_ns() + 48 * HOUR
    seq = iter(range(10**9))
    record = create_record(key, VALUE, 0, eol, 300 * 10**9).marshal()
    made = rate(lambda: create_record(key, VALUE, next(seq), eol, 300 * 10**9), seconds)
    checked = rate(lambda: validate_record(record, name), seconds)
    return made, checked, len(record)


def bench_types(seconds: float) -> None:
    print(f"{'key type':<12}{'create/s':>12}{'verify/s':>12}{'record bytes':>14}")
    for kind, size in (("ed25519", None), ("secp256k1", None), ("ecdsa", None),
                       ("rsa", 2048)):
        made, checked, nbytes = bench_type(kind, size, seconds)
        label = kind if size is None else f"{kind}-{size}"
        print(f"{label:<12}{made:>12,.0f}{checked:>12,.0f}{nbytes:>14}")


def bench_repo(seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Repo.init(os.path.join(tmp, "repo"), fsync=False)
        root = repo.add(b"hello names\n").root
        names = Names.open(repo.path, blocks=repo)
        name = names.publish(f"/ipfs/{root}").name
        counter = iter(range(1, 10**9))
        pub = rate(lambda: names.publish(f"/ipfs/{root}", sequence=next(counter),
                                         resolve=False), seconds)
        res = rate(lambda: names.resolve(str(name)), seconds)
        repo.close()
    print(f"publish (sign + atomic file write + fsync): {pub:,.0f}/s;"
          f" resolve (read + verify): {res:,.0f}/s")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    args = p.parse_args()
    bench_types(args.seconds)
    bench_repo(args.seconds)


if __name__ == "__main__":
    main()
