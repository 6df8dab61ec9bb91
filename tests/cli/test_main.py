"""pinfold.cli.main: errors as one line and exit 1, usage errors exit 2, ``python -m pinfold``."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pinfold.cli.main import main
from tests.repo.helpers import one_line_error, raw_cid

from .helpers import cli


def test_cli_errors_are_one_line(tmp_path, capsysbinary):
    repo = str(tmp_path / "repo")
    r = ["--repo", repo]
    code, _, err = cli(capsysbinary, "pin", "ls", *r)
    one_line_error(code, err)
    assert "pinfold init" in err
    assert cli(capsysbinary, "init", *r, "--no-fsync")[0] == 0
    code, _, err = cli(capsysbinary, "init", *r)
    one_line_error(code, err)
    missing = raw_cid(b"missing")
    for args in (["pin", "rm", str(missing)], ["pin", "ls", str(missing)],
                 ["pin", "add", str(missing)], ["block", "get", str(missing)],
                 ["block", "stat", str(missing)], ["block", "rm", str(missing)],
                 ["pin", "rm", "not-a-cid"], ["pin", "rm"],
                 ["pin", "update", str(missing), str(missing)],
                 ["pin", "add", "--name", "x" * 256, str(missing)]):
        code, out, err = cli(capsysbinary, *args, *r)
        one_line_error(code, err)
        assert out == b""


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["add", "-n", "--cid-version=7", "x"])
    assert exc.value.code == 2
    assert capsys.readouterr().err.startswith("pinfold: error:")
    with pytest.raises(SystemExit) as exc:
        main(["add", "-n", "--raw-leaves=maybe", "x"])
    assert exc.value.code == 2


def test_console_script_runs_as_module(tmp_path):
    f = tmp_path / "f.txt"
    f.write_bytes(b"hello world\n")
    proc = subprocess.run([sys.executable, "-m", "pinfold", "add", "-n", "-Q", str(f)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o\n"
    proc = subprocess.run([sys.executable, "-m", "pinfold", "add", "-n", str(tmp_path / "no")],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr


def _run_loading_none_of(argv: list[str], prefixes: tuple[str, ...]) -> str:
    """Run ``pinfold *argv`` in a fresh interpreter, assert it loaded no module whose name
    starts with one of ``prefixes``, and return what it printed."""
    script = (
        "import runpy, sys\n"
        f"sys.argv = ['pinfold', *{argv!r}]\n"
        "try:\n"
        "    runpy.run_module('pinfold', run_name='__main__')\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
        f"loaded = sorted(m for m in sys.modules if m.startswith({prefixes!r}))\n"
        "print(loaded, file=sys.stderr)\n"
        "assert not loaded, loaded\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_read_commands_load_only_what_they_need(tmp_path):
    """`pinfold cat` of a local repo starts without the importer, the chunkers, the
    PostgreSQL pin set, the keystore or cryptography (each costs start-up time that every
    CLI ratio of issue 13 pays)."""
    repo = tmp_path / "repo"
    f = tmp_path / "f.txt"
    f.write_bytes(b"hello world\n")
    for argv in (["init", "--repo", str(repo)], ["add", "-Q", "--repo", str(repo), str(f)]):
        proc = subprocess.run([sys.executable, "-m", "pinfold", *argv], capture_output=True,
                              text=True, check=True)
    cid = proc.stdout.strip()
    out = _run_loading_none_of(
        ["cat", "--repo", str(repo), cid],
        ("pinfold.importer", "pinfold.chunker", "pinfold.pins.pg", "pinfold.keys.keystore",
         "pinfold.access.", "cryptography", "psycopg"))
    assert out == "hello world\n"


def test_add_only_hash_loads_no_repo(tmp_path):
    """`pinfold add -n` computes CIDs without opening a repo (it reads only the import profile
    from its config.json): it starts without the repo, the pin set, gc, the blockstores and
    the DAG-CBOR/JSON codecs (36 modules, ~40 ms a process, loaded once through the metadata
    parser's import of pinfold.pins.meta)."""
    f = tmp_path / "f.txt"
    f.write_bytes(b"hello world\n")
    out = _run_loading_none_of(
        ["add", "-n", "-Q", str(f)],
        ("pinfold.pins.pinset", "pinfold.pins.gc", "pinfold.pins.pg", "pinfold.blockstore",
         "pinfold.repo.repo", "pinfold.repo.writer", "pinfold.codecs.dagcbor", "cbor2", "lmdb",
         "sqlite3", "cryptography"))
    assert out == "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o\n"
