"""pinfold.upload.names: the relative file names of an upload."""

from __future__ import annotations

import pytest

from pinfold.upload import MAX_DEPTH, UploadError, safe_path


@pytest.mark.parametrize("name, parts", [
    ("a.txt", ("a.txt",)), ("dir/sub/é.png", ("dir", "sub", "é.png")),
    ("..a/b..", ("..a", "b..")), ("x" * 255, ("x" * 255,)),
])
def test_accepted(name, parts):
    assert safe_path(name) == parts


@pytest.mark.parametrize("name, words", [
    ("", "empty"), ("../etc/passwd", "'..'"), ("a/../../b", "'..'"), ("/etc/passwd", "absolute"),
    ("a//b", "empty"), ("a/", "empty"), ("./a", "'.'"), ("a\\b", "backslash"),
    ("a\x00b", "control"), ("a\nb", "control"), ("\ud800", "not valid text"),
    ("x" * 256, "longer than 255"), ("/".join(["d"] * (MAX_DEPTH + 1)), "deeper"),
    ("é" * 3000, "longer than 4096"),
])
def test_refused(name, words):
    with pytest.raises(UploadError, match=words):
        safe_path(name)
