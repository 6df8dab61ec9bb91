import json
import pathlib
import sys

import pytest

TESTS = pathlib.Path(__file__).parent
sys.path.insert(0, str(TESTS))

from gen import make_content  # noqa: E402


def load_vectors(name: str) -> list[dict]:
    return json.loads((TESTS / "vectors" / name).read_text())


def case_source(case: dict):
    """The importer input a unixfs.json case describes: bytes or a list of entries."""
    if "file" in case:
        return make_content(case["file"])
    entries = []
    for e in case["entries"]:
        item = {"path": e["path"]}
        if "content" in e:
            item["content"] = make_content(e["content"])
        elif e.get("dir"):
            item["dir"] = True
        else:
            item["link"] = e["link"]
        for key in ("mode", "mtime"):
            if key in e:
                item[key] = e[key]
        entries.append(item)
    return entries


@pytest.fixture
def tmp_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(autouse=True)
def _isolated_repo_env(tmp_path_factory, monkeypatch):
    """No test may touch ~/.pinfold: the default repo points into a temporary directory."""
    monkeypatch.setenv("PINFOLD_REPO", str(tmp_path_factory.mktemp("default-repo") / "repo"))
