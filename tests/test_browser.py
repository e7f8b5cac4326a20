"""The real page in a real browser: Debian's chromium, driven by Playwright,
against the app served by waitress (the production server) on loopback."""
from __future__ import annotations

import os
import re
import shutil
import threading
from urllib.parse import parse_qs, urlsplit

import pytest

CHROMIUM = os.environ.get("REFORM_SEARCH_CHROMIUM", "/usr/bin/chromium")

if not shutil.which(CHROMIUM):
    if os.environ.get("REFORM_SEARCH_REQUIRE_BROWSER"):
        raise RuntimeError(f"browser tests required but {CHROMIUM} is missing")
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server(seed_index):
    from waitress.server import create_server

    from web.cli import app_for

    srv = create_server(app_for(["--index", str(seed_index)]), host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.effective_port}"
    srv.close()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                    "--disable-background-networking", "--no-first-run"])
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1200, "height": 900})
    pg = context.new_page()
    outside = []
    pg.on("request", lambda r: None if r.url.startswith(server) else outside.append(r.url))
    dialogs = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.outside_requests = outside
    pg.dialogs = dialogs
    yield pg
    context.close()


def test_search_filter_chip_and_document_in_the_browser(page, server, tmp_path):
    page.goto(server + "/")
    box = page.locator("#q")
    assert box.evaluate("el => el === document.activeElement")  # autofocus
    box.fill("放管服")
    box.press("Enter")
    page.wait_for_url(re.compile(r"q=%E6%94%BE"))
    assert page.locator(".snippet mark").count() > 0
    assert page.locator("#total").inner_text() == "5"
    guangming = page.locator('.facet-value[data-value="光明区"]')
    assert guangming.locator(".count").inner_text() == "2"
    page.screenshot(path=str(tmp_path / "results.png"), full_page=True)

    guangming.click()
    page.wait_for_url(re.compile(r"district="))
    assert parse_qs(urlsplit(page.url).query)["district"] == ["光明区"]
    assert page.locator("#total").inner_text() == "2"
    assert all(t.startswith("光明区") for t in page.locator(".hit .meta").all_inner_texts())
    chip = page.locator(".chip")
    assert chip.count() == 1 and "光明区" in chip.inner_text()
    page.screenshot(path=str(tmp_path / "filtered.png"), full_page=True)

    chip.click()
    page.wait_for_url(lambda url: "district" not in url)
    assert page.locator("#total").inner_text() == "5"
    assert page.locator(".chip").count() == 0

    page.go_back()  # the URL is the state: back restores the filtered view
    page.wait_for_url(re.compile(r"district="))
    assert page.locator("#total").inner_text() == "2"

    link = page.locator(".hit .source a").first
    href = link.get_attribute("href")
    anchor = href.split("#", 1)[1]
    link.click()
    page.wait_for_url(re.compile("/doc/"))
    target = page.locator(f"#{anchor}")
    assert target.is_visible()
    assert target.evaluate("el => el.matches(':target')")
    top = target.evaluate("el => el.getBoundingClientRect().top")
    assert 0 <= top < 900  # scrolled to the paragraph
    page.screenshot(path=str(tmp_path / "document.png"))
    assert page.outside_requests == []
    print(f"screenshots in {tmp_path}")


def test_injected_markup_in_the_query_does_not_run(page, server):
    page.goto(server + "/")
    page.locator("#q").fill('<img src=x onerror="alert(1)"> 放管服')
    page.locator("#q").press("Enter")
    page.wait_for_load_state("networkidle")
    assert page.dialogs == []
    assert page.locator("img").count() == 0
    assert page.locator("#q").input_value().startswith("<img")
    page.goto(server + "/?q=%3Cscript%3Ealert(2)%3C/script%3E&district=%3Cimg%20src=x%20onerror=alert(3)%3E")
    page.wait_for_load_state("networkidle")
    assert page.dialogs == []
    assert page.locator("img").count() == 0


def test_keyboard_slash_focuses_the_search_box(page, server):
    page.goto(server + "/?q=放管服")
    page.locator(".facet-value").first.focus()
    page.keyboard.press("/")
    assert page.locator("#q").evaluate("el => el === document.activeElement")


def test_phone_width_shows_results_without_sideways_scrolling(page, server):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(server + "/?q=放管服")
    assert page.locator(".hit").count() > 0
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
