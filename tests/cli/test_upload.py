"""pinfold.cli.upload: ``pinfold upload sign|rotate``."""

from __future__ import annotations

import pytest

from pinfold.repo import Repo
from pinfold.upload import UploadError, Uploads
from tests.upload.helpers import url_pairs

from .helpers import cli, lines


def test_sign_prints_the_url_alone_on_its_last_line(capsysbinary, cli_repo):
    code, out, err = cli(capsysbinary, "upload", "sign", "--repo", str(cli_repo), "--expires",
                         "1h", "--max-file-size", "10MiB", "--allow-mime-type", "image/*",
                         "--allow-mime-type", "text/plain", "--group", "g", "--name", "n",
                         "--keyvalue", "a=b", "--keyvalue", "c==d", "--network", "private",
                         "--base-url", "https://up.example/")
    assert code == 0 and err == ""
    url = lines(out)[-1]
    assert url.startswith("https://up.example/upload/signed?X-Algorithm=PINFOLD-UPLOAD1&")
    with Repo(cli_repo) as repo, Uploads(repo) as up:
        p = up.check_url(url_pairs(url))
    assert (p.expires, p.max_file_size, p.allow_mime_types, p.group, p.name, p.keyvalues,
            p.network) == (3600, 10 << 20, ("image/*", "text/plain"), "g", "n",
                           {"a": "b", "c": "=d"}, "private")


def test_defaults_and_rotation(capsysbinary, cli_repo):
    code, out, _ = cli(capsysbinary, "upload", "sign", "--repo", str(cli_repo))
    url = lines(out)[-1]
    assert code == 0 and url.startswith("/upload/signed?")
    with Repo(cli_repo) as repo, Uploads(repo) as up:
        assert up.check_url(url_pairs(url)).expires == 600
    assert cli(capsysbinary, "upload", "rotate", "--repo", str(cli_repo))[0] == 0
    with Repo(cli_repo) as repo, Uploads(repo) as up, pytest.raises(UploadError):
        up.check_url(url_pairs(url))


@pytest.mark.parametrize("args, words", [
    (["--expires", "0s"], "zero"), (["--expires", "soon"], "duration"),
    (["--keyvalue", "novalue"], "KEY=VALUE"), (["--allow-mime-type", "png"], "MIME"),
    (["--max-file-size", "lots"], "invalid size"), (["--network", "dark"], "invalid choice"),
    (["--name", ""], "name"),
])
def test_bad_options_are_one_line_errors(capsysbinary, cli_repo, args, words):
    try:
        code, out, err = cli(capsysbinary, "upload", "sign", "--repo", str(cli_repo), *args)
    except SystemExit as exc:  # a usage error (exit 2)
        code = exc.code
        out, errb = capsysbinary.readouterr()
        err = errb.decode()
    assert code != 0 and out == b"" and words in err
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 2
