"""The disk-bound CLI targets of issue 13, section 2, each beside its floor in the same run.

    python benchmarks/bench_cli.py [--size-mib 1024] [--reps 5] [--backends fs,lmdb]
                                   [--parts cat,export,import,add] [--dir DIR]

Every figure is one ``python -m pinfold ...`` process (start-up counted, as a user sees it),
timed from outside, with its peak RSS from GNU time (``/usr/bin/time -f %M``). Each repetition
runs every case once, in an order rotated from one repetition to the next, so a slow minute of
this VM's disk lands on all of them; the table gives medians. Cases and the floor each is
measured against:

- ``sha256``: one core's ``hashlib.sha256`` over the file, from the page cache (the ceiling
  cat and export are measured against: both verify every block they read);
- ``read floor``: the same blocks read from the repo's store and hashed bare, in this
  process, on two threads (one per core; hashlib releases the GIL): flatfs's files opened and
  read, or LMDB's values read through one cursor per thread. What cat and export cost beyond
  this (start-up, decoding, ordering) is pinfold's;
- ``cat``: ``pinfold cat CID > /dev/null`` of the 1 GiB file (Kubo's defaults: 256 KiB
  chunks, CIDv0, DAG-PB leaves);
- ``export``: ``pinfold dag export CID > /dev/null``;
- ``import``: ``pinfold dag import FILE.car`` into a fresh repo, fsync on, against the synced
  write of the same blocks done bare in the same repetition: one file + fsync for lmdb, one
  file per block + one ``syncfs`` for fs; ``floor-behind`` is the fs floor with each file's
  writeback started as it is written (``sync_file_range``), as pinfold's flatfs writes;
  ``hashed-write`` adds what an add cannot skip: the file read and every chunk hashed on one
  thread while a second writes the chunks (two threads, two cores), bare;
- ``add``: ``pinfold add -Q FILE`` into a fresh repo, fsync on, against the same floors;
- ``lmdb-put``: for lmdb, the same blocks put bare into a fresh LMDB environment opened the
  way pinfold's store opens one (``writemap``, ``sync``, ``metasync`` and readahead on),
  32 MiB write transactions as pinfold's writer makes them, keys of a hash's length in no
  order: LMDB's own write path on this disk, the second floor import and add on lmdb are
  measured against.

- ``start-up``: ``pinfold cat`` of a two-byte file in the fs repo: the process, its imports
  and the repo's opening, which every CLI figure above includes.

The children run from compiled bytecode, as an installed pinfold does (pip writes the
``.pyc`` files at install): the package is compiled once before the first timing, and a
``PYTHONDONTWRITEBYTECODE`` in this environment is not passed on (this machine sets it; each
child then compiled ~96 modules, ~60 ms of every figure before 2026-12-07).

Nothing is deleted until the end: every write goes to new space (on this VM's ext4, creating
files soon after deleting many costs several times more kernel time, see RESULTS.md), so a
run needs about six times the file size per repetition of free disk. The benchmark process
keeps only the block sizes, not the blocks, so each child's peak RSS is its own.

``--drop-caches`` (root, Linux) syncs and drops the page cache before every write case, then
reads back the sources and runs each command once untimed (see :func:`drop_caches`). On this
VM's ext4 (no journal) a file's creation costs the kernel 0.02-0.6 ms depending on which
inode-table blocks the cache holds, so without it the fs write floors and the fs adds each
land at a random point of that range; with it, every write case starts from the same state.
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import make_file, sha256_seconds  # noqa: E402

PINFOLD = [sys.executable, "-m", "pinfold"]
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
_libc = ctypes.CDLL(None, use_errno=True)


def run(args: list[str], *, stdout=subprocess.DEVNULL) -> tuple[float, int, float]:
    """Seconds, peak RSS (KiB) and CPU seconds (user + system, every thread) of one
    process. The peak comes from GNU time, a small process of its own: a child forked from
    this one would report this one's RSS too."""
    before = cpu_seconds(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", *args], stdout=stdout,
                          stderr=subprocess.PIPE, check=False, env=CHILD_ENV)
    seconds = time.perf_counter() - start
    cpu = cpu_seconds(resource.RUSAGE_CHILDREN) - before
    err = proc.stderr.decode(errors="replace").strip()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {err}")
    return seconds, int(err.splitlines()[-1]), cpu


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def in_process(fn) -> tuple[float, int, float]:
    """A case timed in this process (``fn`` returns its seconds): seconds, no RSS of its
    own, and the CPU seconds this process spent meanwhile (all its threads)."""
    before = cpu_seconds(resource.RUSAGE_SELF)
    seconds = fn()
    return seconds, 0, cpu_seconds(resource.RUSAGE_SELF) - before


def output(args: list[str]) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True,
                          env=CHILD_ENV).stdout.strip()


def compile_package() -> None:
    """Compile the pinfold the children import, so no timed run compiles it."""
    where = output([sys.executable, "-c", "import os, pinfold; print(os.path.dirname("
                                         "pinfold.__file__))"])
    output([sys.executable, "-m", "compileall", "-q", where])


def init(repo: str, backend: str) -> None:
    output(PINFOLD + ["init", "--repo", repo, "--backend", backend])


def car_sizes(car: str) -> list[int]:
    from pinfold.car import CarReader

    with CarReader(car) as reader:
        return [len(data) for _, data in reader]


def two_threads(work, items: list) -> None:
    threads = [threading.Thread(target=work, args=(items[i::2],)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def read_floor(backend: str, repo: str) -> float:
    """Every block of the repo read from its store and hashed, bare, on two threads."""
    blocks_dir = os.path.join(repo, "blocks")
    if backend == "lmdb":
        import lmdb

        env = lmdb.open(blocks_dir, readonly=True, lock=False, max_dbs=8)
        db = env.open_db(b"blocks", create=False)
        with env.begin(db=db) as txn:
            keys = list(txn.cursor().iternext(keys=True, values=False))

        def work(part: list[bytes]) -> None:
            with env.begin(db=db, buffers=True) as txn:
                cur = txn.cursor()
                for k in part:
                    cur.set_key(k)
                    hashlib.sha256(bytes(cur.value())).digest()
        start = time.perf_counter()
        two_threads(work, keys)
        took = time.perf_counter() - start
        env.close()
        return took
    files = sorted(os.path.join(d, f) for d, _, names in os.walk(blocks_dir) for f in names
                   if f.endswith(".data"))

    def read_all(part: list[str]) -> None:
        for path in part:
            with open(path, "rb", buffering=0) as f:
                hashlib.sha256(f.read()).digest()
    start = time.perf_counter()
    two_threads(read_all, files)
    return time.perf_counter() - start


def block_bytes(sizes: list[int]) -> Iterator[memoryview]:
    """Each block's bytes for the write floors: the benchmark's 64 MiB sliced to the sizes."""
    payload = memoryview(DATA[0])
    pos = 0
    for n in sizes:
        yield payload[pos % len(payload):][:n]
        pos += n


def synced_write(backend: str, where: str, sizes: list[int], *,
                 behind: bool = False) -> float:
    """The floor: the blocks' bytes made durable the simplest way the backend could (the
    bytes written are the file's, sliced to the blocks' sizes). ``behind`` (fs): each file's
    writeback started as it is written (``sync_file_range``, as flatfs does), then the
    ``syncfs``."""
    os.makedirs(where)
    start = time.perf_counter()
    if backend == "lmdb":
        fd = os.open(os.path.join(where, "data"), os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            for b in block_bytes(sizes):
                os.write(fd, b)
            os.fsync(fd)
        finally:
            os.close(fd)
    else:
        dirs: set[str] = set()
        for i, b in enumerate(block_bytes(sizes)):
            d = os.path.join(where, f"{i % 1024:03x}")
            if d not in dirs:
                os.mkdir(d)
                dirs.add(d)
            write_file(os.path.join(d, str(i)), b, behind)
        syncfs(where)
    return time.perf_counter() - start


def write_file(path: str, data, behind: bool) -> None:
    """One block file; ``behind``: its writeback started (SYNC_FILE_RANGE_WRITE)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
        if behind:
            _libc.sync_file_range(fd, ctypes.c_int64(0), ctypes.c_int64(0), 2)
    finally:
        os.close(fd)


def syncfs(where: str) -> None:
    fd = os.open(where, os.O_RDONLY)
    try:
        if _libc.syncfs(fd) != 0:
            raise OSError(ctypes.get_errno(), "syncfs")
    finally:
        os.close(fd)


def hashed_write(src: str, where: str) -> float:
    """The least an add into fs does, bare: the file read in 256 KiB chunks and each hashed on
    this thread, while a second thread writes each as a file of its own with its writeback
    started; then one ``syncfs``. Two threads for two cores, no SQLite, no framing, no
    temporary names: the machine's CPU and disk floor for add (and, reading a CAR instead,
    for import)."""
    import queue

    os.makedirs(where)
    dirs = [os.path.join(where, f"{i:03x}") for i in range(1024)]
    for d in dirs:
        os.mkdir(d)
    q: queue.Queue = queue.Queue(maxsize=64)

    def writer() -> None:
        i = 0
        while (chunk := q.get()) is not None:
            write_file(os.path.join(dirs[i % 1024], str(i)), chunk, True)
            i += 1

    start = time.perf_counter()
    t = threading.Thread(target=writer)
    t.start()
    with open(src, "rb", buffering=0) as f:
        while chunk := f.read(256 << 10):
            hashlib.sha256(chunk).digest()
            q.put(chunk)
    q.put(None)
    t.join()
    syncfs(where)
    return time.perf_counter() - start


def lmdb_put(where: str, sizes: list[int]) -> float:
    """The blocks' bytes put bare into LMDB as pinfold's store configures it (see above)."""
    import lmdb

    keys = [hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(len(sizes))]
    start = time.perf_counter()
    env = lmdb.open(where, map_size=4 << 30, max_dbs=8, writemap=True, sync=True,
                    metasync=True)
    try:
        db = env.open_db(b"blocks")
        views = list(block_bytes(sizes))  # slicing is not what is timed
        i = 0
        while i < len(views):
            batch = 0
            with env.begin(db=db, write=True) as txn:
                while i < len(views) and batch < 32 << 20:
                    txn.put(keys[i], views[i], overwrite=False)
                    batch += len(views[i])
                    i += 1
    finally:
        env.close()
    return time.perf_counter() - start


# 64 MiB of the benchmark's file, the bytes the write floors write
DATA: list[bytes] = []
WRITE_KINDS = ("floor", "floor-behind", "hashed-write", "lmdb-put", "import", "add")


def drop_caches(warm_files: list[str], warm_dirs: list[str],
                warm_cmds: list[list[str]]) -> None:
    """Sync, drop the page cache (dentries, inodes and the block device's buffers with it),
    then read back what the cases read, so only the filesystem's metadata starts cold: the
    source files, the read repos (where cat or export runs) and the files the children load
    (each of ``warm_cmds`` run once, untimed).

    Why (``--drop-caches``): this VM's ext4 has no journal, and there the kernel's inode
    allocator skips every free inode deleted in the last 12 hours (``dirtime_expire_interval``)
    whose inode-table block is cached, one buffer lookup each, scanning from the start of the
    group for every new file. After a day of benchmarks a file's creation cost 0.5 ms of kernel
    time with those blocks cached and 0.02 ms without: the "disk" that drifted 2-7x from one
    minute to the next. Dropping the cache before every write case starts each from the
    same state."""
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")
    for path in warm_files + [os.path.join(d, name) for top in warm_dirs
                              for d, _, names in os.walk(top) for name in names]:
        with open(path, "rb", buffering=0) as f:
            while f.read(8 << 20):
                pass
    for cmd in warm_cmds:
        output(cmd)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--backends", default="fs,lmdb")
    ap.add_argument("--parts", default="cat,export,import,add")
    ap.add_argument("--dir", default=None, help="work directory (default: a temporary one)")
    ap.add_argument("--drop-caches", action="store_true",
                    help="before each write case: sync, drop the page cache (root, Linux), read"
                         " back the sources (see drop_caches)")
    args = ap.parse_args()
    backends = args.backends.split(",")
    parts = args.parts.split(",")
    if args.drop_caches and not os.access("/proc/sys/vm/drop_caches", os.W_OK):
        raise SystemExit("--drop-caches needs Linux and root (/proc/sys/vm/drop_caches)")
    if args.dir:
        os.makedirs(args.dir, exist_ok=True)
    base = tempfile.mkdtemp(prefix="bench-cli-", dir=args.dir)
    try:
        src = os.path.join(base, "data.bin")
        size = args.size_mib << 20
        compile_package()
        make_file(src, size)
        with open(src, "rb") as f:
            DATA.append(f.read(64 << 20))
        cid = car = ""
        for backend in backends:
            repo = os.path.join(base, f"read-{backend}")
            init(repo, backend)
            cid = output(PINFOLD + ["add", "-Q", "--repo", repo, src])
        car = os.path.join(base, "data.car")
        with open(car, "wb") as f:
            run(PINFOLD + ["dag", "export", "--repo", repo, cid], stdout=f)
        sizes = car_sizes(car)
        nbytes = sum(sizes)
        print(f"{args.size_mib} MiB file, CID {cid}: {len(sizes)} blocks, {nbytes} bytes of"
              f" blocks, CAR {os.path.getsize(car)} bytes; {args.reps} reps, medians")

        cases: list[tuple[str, object]] = [("sha256", lambda: in_process(
            lambda: sha256_seconds(src)))]
        tiny = os.path.join(base, "tiny.txt")  # the start-up case's file, and the warm-ups'
        with open(tiny, "wb") as f:
            f.write(b"hi")
        if "fs" in backends:
            small = output(PINFOLD + ["add", "-Q", "--repo", os.path.join(base, "read-fs"),
                                      tiny])
            cases.append(("start-up fs", lambda: run(
                PINFOLD + ["cat", "--repo", os.path.join(base, "read-fs"), small])))
        serial = iter(range(1 << 30))  # every write goes to a new directory
        for backend in backends:
            repo = os.path.join(base, f"read-{backend}")
            fresh = os.path.join(base, f"write-{backend}-")
            floor = os.path.join(base, f"floor-{backend}-")
            if "cat" in parts or "export" in parts:
                cases.append((f"read-floor {backend}", lambda b=backend, r=repo: in_process(
                    lambda: read_floor(b, r))))
            if "cat" in parts:
                cases.append((f"cat {backend}", lambda r=repo: run(
                    PINFOLD + ["cat", "--repo", r, cid])))
            if "export" in parts:
                cases.append((f"export {backend}", lambda r=repo: run(
                    PINFOLD + ["dag", "export", "--repo", r, cid])))
            if "import" in parts or "add" in parts:
                cases.append((f"floor {backend}", lambda b=backend, f=floor: in_process(
                    lambda: synced_write(b, f"{f}{next(serial)}", sizes))))
                if backend == "fs":
                    cases.append(("floor-behind fs", lambda f=floor: in_process(
                        lambda: synced_write("fs", f"{f}{next(serial)}", sizes, behind=True))))
                    cases.append(("hashed-write fs", lambda f=floor: in_process(
                        lambda: hashed_write(src, f"{f}{next(serial)}"))))
                if backend == "lmdb":
                    cases.append(("lmdb-put lmdb", lambda f=floor: in_process(
                        lambda: lmdb_put(f"{f}{next(serial)}", sizes))))
            for part, words in (("import", ["dag", "import", car]), ("add", ["add", "-Q", src])):
                if part in parts:
                    def into_new_repo(b=backend, r=fresh, words=words):
                        r = f"{r}{next(serial)}"
                        init(r, b)
                        return run(PINFOLD + [*words, "--repo", r])
                    cases.append((f"{part} {backend}", into_new_repo))

        warm_cmds: list[list[str]] = []
        if args.drop_caches:
            tiny_car = os.path.join(base, "tiny.car")
            for backend in backends:
                scratch = os.path.join(base, f"warm-{backend}")
                init(scratch, backend)
                hi = output(PINFOLD + ["add", "-Q", "--repo", scratch, tiny])
                if not os.path.exists(tiny_car):  # the same two bytes' CAR for every backend
                    with open(tiny_car, "wb") as f:
                        subprocess.run(PINFOLD + ["dag", "export", "--repo", scratch, hi],
                                       stdout=f, check=True, env=CHILD_ENV)
                warm_cmds += [PINFOLD + ["add", "-Q", "--repo", scratch, tiny],
                              PINFOLD + ["dag", "import", tiny_car, "--repo", scratch],
                              # fs: the start-up case's repo (the same two bytes are in it)
                              PINFOLD + ["cat", "--repo", os.path.join(base, "read-fs")
                                         if backend == "fs" else scratch, hi]]
        reads = [os.path.join(base, f"read-{b}") for b in backends
                 if "cat" in parts or "export" in parts]
        times: dict[str, list[float]] = {name: [] for name, _ in cases}
        rss: dict[str, int] = {name: 0 for name, _ in cases}
        cpus: dict[str, list[float]] = {name: [] for name, _ in cases}
        for rep in range(args.reps):
            k = rep % len(cases)
            for name, fn in cases[k:] + cases[:k]:
                if args.drop_caches and name.partition(" ")[0] in WRITE_KINDS:
                    drop_caches([src, car], reads, warm_cmds)
                seconds, peak, cpu = fn()
                times[name].append(seconds)
                cpus[name].append(cpu)
                rss[name] = max(rss[name], peak)
            print(f"rep {rep + 1}: " + ", ".join(f"{n} {t[-1]:.2f}" for n, t in times.items()),
                  flush=True)
        med = {name: statistics.median(t) for name, t in times.items()}
        print()
        # CPU: user + system seconds of every thread, the median (a child's own, or this
        # process's during an in-process floor); on two cores a case cannot take less than
        # half of it
        print("| case | median s | MB/s | CPU s | ratio of medians | median of per-rep ratios"
              " | against | peak RSS MiB |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for name, _ in cases:
            kind, _, backend = name.partition(" ")
            refs = [("sha256", "sha256")] if kind in ("cat", "export", "read-floor") else []
            if kind in ("import", "add"):
                refs = [(f"floor {backend}", f"floor {backend}")]
                if backend == "fs" and "floor-behind fs" in med:
                    refs.append(("floor-behind fs", "floor-behind fs"))
                    refs.append(("hashed-write fs", "hashed-write fs"))
                if backend == "lmdb" and "lmdb-put lmdb" in med:
                    refs.append(("lmdb-put lmdb", "lmdb-put"))
            mem = f"{rss[name] / 1024:.0f}" if rss[name] else ""
            rate = "" if kind == "start-up" else f"{size / med[name] / 1e6:.0f}"
            head = (f"| {name} | {med[name]:.2f} | {rate} |"
                    f" {statistics.median(cpus[name]):.2f} |")
            if not refs:
                print(f"{head} | | | {mem} |")
            for ref, label in refs:
                # the disk drifts 2-4x within a run: a ratio taken inside one repetition
                # compares a case with the floor measured a few seconds from it
                per_rep = statistics.median(
                    r / c for r, c in zip(times[ref], times[name], strict=True))
                print(f"{head} {med[ref] / med[name]:.2f}x | {per_rep:.2f}x | {label} |"
                      f" {mem} |")
                head, mem = f"| {name} | | | |", ""
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
