"""Upload memory (issue 16): the peak RSS of a uvicorn process serving pinfold's upload
routes while a client streams one large file to ``POST /upload`` (multipart), against the
same process's RSS before the upload. Bounded memory means the peak does not grow with the
upload: run it at two sizes and compare.

The client generates the body as it sends it (nothing is held in memory on either side but
the current chunk); the server's peak comes from ``VmHWM`` in ``/proc/<pid>/status``. The
answer's CID is checked against ``pinfold.cid_of`` of the same bytes.

Run: ``python benchmarks/bench_upload.py [--size 1GiB] [--backend fs|lmdb]``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

import httpx  # noqa: E402

from pinfold import Repo, cid_of  # noqa: E402
from pinfold.cli.common import parse_size  # noqa: E402

BOUNDARY = "benchBoundary0123456789"
SERVER = """
import socket, sys
import uvicorn
from pinfold import Repo
from pinfold.web import create_app, upload_routes
repo = Repo(sys.argv[1])
sock = socket.socket(fileno=int(sys.argv[2]))
uvicorn.Server(uvicorn.Config(create_app(repo, routes=upload_routes()), log_level="warning",
                              lifespan="on")).run(sockets=[sock])
"""


def chunks(size: int):
    seed = hashlib.sha256(b"pinfold-bench").digest()
    done = i = 0
    while done < size:
        n = min(1 << 20, size - done)
        yield hashlib.shake_256(seed + i.to_bytes(8, "big")).digest(n)
        done += n
        i += 1


def body(size: int):
    yield (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\";"
           f" filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n").encode()
    yield from chunks(size)
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def status_kib(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(field)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=parse_size, default=1 << 30)
    ap.add_argument("--backend", default="fs", choices=("fs", "lmdb"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        path = os.path.join(tmp, "repo")
        repo = Repo.init(path, backend=args.backend)
        key = repo.access.create_key("bench", ["files:write"]).secret
        repo.close()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        port = sock.getsockname()[1]
        proc = subprocess.Popen([sys.executable, "-c", SERVER, path, str(sock.fileno())],
                                pass_fds=[sock.fileno()])
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600) as client:
                client.post("/upload/json", json={"warm": 1},  # imports loaded, app started
                            headers={"Authorization": f"Bearer {key}"}).raise_for_status()
                before = status_kib(proc.pid, "VmRSS")
                start = time.perf_counter()
                r = client.post("/upload", content=body(args.size),
                                headers={"Authorization": f"Bearer {key}",
                                         "Content-Type":
                                             f"multipart/form-data; boundary={BOUNDARY}"})
                seconds = time.perf_counter() - start
                r.raise_for_status()
                peak = status_kib(proc.pid, "VmHWM")
            expected = str(cid_of(_ChunkReader(args.size)))
            got = r.json()["data"]["cid"]
            assert got == expected, (got, expected)
        finally:
            proc.terminate()
            proc.wait(30)
            sock.close()
    print(f"upload {args.size / (1 << 30):.2f} GiB ({args.backend}): {seconds:.1f} s,"
          f" {args.size / seconds / (1 << 20):.0f} MiB/s; server RSS before {before / 1024:.0f}"
          f" MiB, peak {peak / 1024:.0f} MiB (+{(peak - before) / 1024:.0f} MiB);"
          f" CID {got} = cid_of")


class _ChunkReader:
    """The same bytes as a stream, for cid_of."""

    def __init__(self, size: int) -> None:
        self.it = chunks(size)
        self.buf = b""

    def read(self, n: int = -1) -> bytes:
        while len(self.buf) < n:
            nxt = next(self.it, None)
            if nxt is None:
                break
            self.buf += nxt
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


if __name__ == "__main__":
    main()
