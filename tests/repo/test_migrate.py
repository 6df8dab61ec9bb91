"""pinfold.repo.migrate: a local repo copied into a shared one (S3 + PostgreSQL) and back,
resumed after being killed part way, verified; ``pinfold repo migrate``. Real servers."""

from __future__ import annotations

import os
import subprocess
import sys

from pinfold.exporter import cat_bytes
from pinfold.repo import Repo
from tests.cli.helpers import cli
from tests.repo.helpers import blob

OPTS = {"chunker": "size-4096"}


def fill(repo: Repo) -> dict[str, bytes]:
    files = {}
    for i in range(5):
        data = blob(f"m{i}", 30_000 + i) + blob("common", 8192)
        repo.add(data, name=f"f{i}", meta={"n": i, "tag": "x" if i % 2 else "y"},
                 groups=["g"] if i < 3 else [], **OPTS)
        files[f"f{i}"] = data
    repo.add(blob("garbage", 20_000), pin=False, **OPTS)  # unpinned blocks travel too
    return files


def same_pins(a: Repo, b: Repo) -> None:
    def view(r):
        return sorted((str(p.cid), p.name, p.type, p.status, p.size, tuple(sorted(p.meta.items())),
                       p.groups) for p in r.pins.list())
    assert view(a) == view(b)


def test_local_to_shared_and_back(tmp_path, s3_bucket, pg_database, capsysbinary):
    local = Repo.init(tmp_path / "local", backend="lmdb", fsync=False)
    files = fill(local)
    n_blocks = local.stat().blocks
    local.close()
    shared_args = ["--blockstore", f"s3://{s3_bucket.name}/b", "--s3-endpoint",
                   s3_bucket.endpoint, "--pinset", pg_database.url]
    assert cli(capsysbinary, "init", "--repo", str(tmp_path / "shared"), *shared_args)[0] == 0
    # killed part way (after some blocks went), then run again: it resumes
    # (the fault hook armed once both repos are open: the 5th checkpoint is the 3rd S3 PUT)
    script = ("import sys; sys.path.insert(0, 'src'); from pinfold import _faults;"
              " from pinfold.repo import Repo;"
              f"a = Repo({str(tmp_path / 'local')!r}); b = Repo({str(tmp_path / 'shared')!r});"
              " _faults.ENABLED = True; _faults._left = 5; a.migrate(b)")
    env = {k: v for k, v in os.environ.items() if k != "PINFOLD_KILL_AFTER"}
    killed = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True)
    assert killed.returncode == -9, killed.stderr
    with Repo(tmp_path / "shared") as shared:
        partial = shared.stat().blocks
        assert 0 < partial < n_blocks
        assert shared.pins.list() == []
    code, out, err = cli(capsysbinary, "repo", "migrate", "--repo", str(tmp_path / "local"),
                         str(tmp_path / "shared"))
    assert code == 0, err
    text = out.decode()
    assert f"{partial} already there" in text and "verified" in text
    with Repo(tmp_path / "local") as local, Repo(tmp_path / "shared") as shared:
        same_pins(local, shared)
        assert shared.stat().blocks == n_blocks
        for p in shared.pins.list():
            assert cat_bytes(shared, p.cid) == files[p.name]
        assert shared.verify() == []
        assert shared.pins.query(group="g", limit=None).total == 3
        # running again changes nothing
        again = local.migrate(shared)
        assert again.blocks_sent == 0 and again.blocks_present == n_blocks
        same_pins(local, shared)
    # and back into a new local repo
    back = Repo.init(tmp_path / "back", backend="fs", fsync=False)
    with Repo(tmp_path / "shared") as shared:
        shared.migrate(back)
        same_pins(shared, back)
    for p in back.pins.list():
        assert cat_bytes(back, p.cid) == files[p.name]
    assert back.verify() == []
    back.close()


def test_migrate_into_a_missing_repo_is_a_one_line_error(tmp_path, capsysbinary):
    Repo.init(tmp_path / "a", fsync=False).close()
    code, out, err = cli(capsysbinary, "repo", "migrate", "--repo", str(tmp_path / "a"),
                         str(tmp_path / "nowhere"))
    assert code == 1 and err.startswith("pinfold: error: no pinfold repo") and \
        err.count("\n") == 1
