"""pinfold.upload.store: the signing secret and the single use of presigned URLs."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time

import pytest

from pinfold.upload import UploadError, UploadStore


def test_in_the_repos_owner_only_access_db_and_secret_stable(make_repo):
    repo = make_repo("fs")
    s = UploadStore.for_repo(repo)
    a = s.secret()
    assert s.secret() == a and len(a) == 32
    assert UploadStore.for_repo(repo).secret() == a  # one secret per repo
    assert stat.S_IMODE(os.stat(os.path.join(repo.path, "access.sqlite")).st_mode) == 0o600
    s.rotate()
    assert s.secret() != a
    assert "secret" not in repr(s).lower() or a.hex() not in repr(s)


def test_claim_commit_release(tmp_path):
    s = UploadStore(str(tmp_path / "u.sqlite"))
    exp = int(time.time()) + 60
    s.claim("n1", exp)
    with pytest.raises(UploadError, match="in progress") as info:
        s.claim("n1", exp)
    assert info.value.status == 409
    s.release("n1")  # a refused attempt gives the URL back
    s.claim("n1", exp)
    s.commit("n1")
    with pytest.raises(UploadError, match="used already") as info:
        s.claim("n1", exp)
    assert info.value.status == 403 and s.used("n1")
    s.release("n1")  # releasing a spent URL does not revive it
    assert s.used("n1")


def test_a_dead_processes_claim_is_taken_over(tmp_path):
    path = str(tmp_path / "u.sqlite")
    code = ("import sys, time; from pinfold.upload import UploadStore;"
            f"UploadStore({path!r}).claim('n', int(time.time()) + 60)")
    subprocess.run([sys.executable, "-c", code], check=True)
    s = UploadStore(path)
    s.claim("n", int(time.time()) + 60)  # its owner is gone: not stuck in progress
    s.commit("n")
    assert s.used("n")
