"""pinfold.web in a real browser: Debian's headless Chromium (driven by Playwright with the
system browser; nothing downloaded) opens a dApp added with ``add -r`` through the app under
uvicorn, and a private image through an access link."""

from __future__ import annotations

import os
import shutil

import pytest
from playwright.sync_api import sync_playwright

from pinfold.cli.main import main

from .helpers import DAPP, png

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def browser_page(tmp_path):
    """A page of a fresh headless Chromium (its own user-data directory)."""
    assert os.path.exists(CHROMIUM) or shutil.which("chromium"), \
        "Debian's chromium is needed: apt-get install chromium"
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True,
            args=ARGS)
        try:
            yield ctx.pages[0] if ctx.pages else ctx.new_page()
        finally:
            ctx.close()


def _write_dapp(root) -> None:
    for name, data in DAPP.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def test_dapp_runs_in_chromium(tmp_path, serve, gw_repo, browser_page, capsys):
    _write_dapp(tmp_path)
    gw_repo.close()
    assert main(["add", "-r", "-Q", "--repo", gw_repo.path, str(tmp_path / "dapp")]) == 0
    root = capsys.readouterr().out.split()[-1]
    from pinfold.repo import Repo

    with Repo(gw_repo.path) as repo:
        s = serve(repo)
        page = browser_page
        resp = page.goto(f"{s.url}/ipfs/{root}/")
        assert resp is not None and resp.status == 200
        page.wait_for_function("document.getElementById('logo').complete")
        state = page.evaluate("""() => {
            const img = document.getElementById('logo');
            const box = document.getElementById('box');
            return {ran: document.body.dataset.ran, text: box.textContent,
                    color: getComputedStyle(box).color, width: getComputedStyle(box).width,
                    natural: [img.naturalWidth, img.naturalHeight]};
        }""")
        assert state == {"ran": "yes", "text": "script ran", "color": "rgb(1, 2, 3)",
                         "width": "123px", "natural": [5, 4]}

        # a private image: decoded through an access link, not without one
        secret = repo.add(png(7, 3), network="private").roots[0].cid
        link = repo.access.link(str(secret))
        load = """async (src) => await new Promise(done => {
            const img = new Image();
            img.onload = () => done([img.naturalWidth, img.naturalHeight]);
            img.onerror = () => done('error');
            img.src = src;
        })"""
        assert page.evaluate(load, link) == [7, 3]
        assert page.evaluate(load, f"/ipfs/{secret}") == "error"
        assert page.evaluate(load, f"/ipfs/{secret}?X-Algorithm=x") == "error"
