"""pinfold.web.upload in a real browser: headless Chromium uploads an image through a
presigned URL made by ``pinfold upload sign``, from the app's own page, and shows it through
the gateway; the CID is the one ``pinfold add -n`` computes."""

from __future__ import annotations

from urllib.parse import quote

from pinfold.cli.main import main
from pinfold.web import create_app, upload_routes

from .helpers import png
from .test_browser import browser_page  # noqa: F401 - the fixture


def _last_line(capsys) -> str:
    return capsys.readouterr().out.strip().splitlines()[-1]


def test_browser_uploads_through_a_presigned_url(tmp_path, serve, gw_repo, capsys,
                                                 browser_page):  # noqa: F811
    image = tmp_path / "photo.png"
    image.write_bytes(png(5, 4, (10, 200, 30)))
    assert main(["add", "-n", "-Q", str(image)]) == 0
    expected = _last_line(capsys)
    s = serve(gw_repo, create_app(gw_repo, routes=upload_routes()))
    assert main(["upload", "sign", "--repo", gw_repo.path, "--expires", "10m",
                 "--max-file-size", "1MiB", "--allow-mime-type", "image/*",
                 "--name", "from-browser", "--keyvalue", "via=chromium",
                 "--base-url", s.url]) == 0
    url = _last_line(capsys)
    assert url.startswith(s.url + "/upload/signed?")
    page = browser_page
    resp = page.goto(f"{s.url}/upload/page#{quote(url, safe='')}")
    assert resp is not None and resp.status == 200
    page.set_input_files("#file", str(image))
    page.click("#send")
    page.wait_for_function("document.getElementById('status').dataset.cid"
                           " || document.getElementById('status').textContent.startsWith('refused')"
                           " || document.getElementById('status').textContent.startsWith('fail')")
    status = page.evaluate("() => document.getElementById('status').textContent")
    cid = page.evaluate("() => document.getElementById('status').dataset.cid")
    assert cid == expected, status
    width = page.evaluate("() => document.getElementById('shown').naturalWidth")
    assert width == 5  # the gateway served the image and the browser decoded it
    pins = gw_repo.pins.list()
    assert [(p.name, str(p.cid), p.meta) for p in pins] == [("from-browser", expected,
                                                             {"via": "chromium"})]
    # the URL is spent: the same upload again is refused
    page.click("#send")
    page.wait_for_function("document.getElementById('status').textContent.startsWith('refused')")
    assert "used already" in page.evaluate("() => document.getElementById('status').textContent")


def test_browser_uploads_from_a_page_on_another_origin(tmp_path, serve, gw_repo, capsys,
                                                      browser_page):  # noqa: F811
    """The page comes from one server (an origin of its own: another port) and posts to a
    presigned URL of another, as a dApp posts to its pinning service: the browser reads the
    answer only because the upload route sends CORS headers. Once the gateway rules list
    origins without the page's, the browser's upload is refused before the URL is used."""
    image = tmp_path / "photo.png"
    image.write_bytes(png(6, 3, (90, 20, 200)))
    assert main(["add", "-n", "-Q", str(image)]) == 0
    expected = _last_line(capsys)
    api = serve(gw_repo, create_app(gw_repo, routes=upload_routes()))
    site = serve(gw_repo, create_app(gw_repo, routes=upload_routes()))
    assert main(["upload", "sign", "--repo", gw_repo.path, "--expires", "10m",
                 "--base-url", api.url]) == 0
    url = _last_line(capsys)
    page = browser_page
    done = ("document.getElementById('status').dataset.cid"
            " || document.getElementById('status').textContent.startsWith('refused')"
            " || document.getElementById('status').textContent.startsWith('fail')")
    # listed out: the page's origin is not the one the rules allow
    assert main(["gateway", "rules", "--repo", gw_repo.path,
                 "--allow-origin", "https://dapp.example"]) == 0
    assert page.goto(f"{site.url}/upload/page#{quote(url, safe='')}").status == 200
    page.set_input_files("#file", str(image))
    page.click("#send")
    page.wait_for_function(done)
    assert page.evaluate("() => document.getElementById('status').textContent"
                         ).startswith("fail")  # 403 without CORS headers: unreadable
    assert gw_repo.pins.list() == []
    # allowed: the same URL (not used up by the refusal) works from the page
    assert main(["gateway", "rules", "--repo", gw_repo.path, "--clear"]) == 0
    assert main(["gateway", "rules", "--repo", gw_repo.path, "--allow-origin", site.url]) == 0
    page.goto("about:blank")  # a new load of the page, not a same-document navigation
    assert page.goto(f"{site.url}/upload/page#{quote(url, safe='')}").status == 200
    page.set_input_files("#file", str(image))
    page.click("#send")
    page.wait_for_function(done)
    status = page.evaluate("() => document.getElementById('status').textContent")
    assert page.evaluate("() => document.getElementById('status').dataset.cid") == expected, \
        status
    assert page.evaluate("() => document.getElementById('shown').naturalWidth") == 6
    assert [str(p.cid) for p in gw_repo.pins.list()] == [expected]
