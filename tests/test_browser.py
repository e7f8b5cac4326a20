"""The real page in a real browser: Debian's chromium, driven by Playwright,
against the app served by waitress (the production server) on loopback."""
from __future__ import annotations

import os
import re
import shutil
import threading
from pathlib import Path
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


SHOTS = Path(os.environ.get("REFORM_SEARCH_SCREENSHOTS") or Path(__file__).resolve().parent.parent / "test-screenshots")


def _new_page(browser, server, width=1280, height=900):
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    pg = context.new_page()
    outside, dialogs, errors, failed = [], [], [], []
    pg.on("request", lambda r: None if r.url.startswith(server) else outside.append(r.url))
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    pg.outside_requests, pg.dialogs, pg.console_errors, pg.failed = outside, dialogs, errors, failed
    return context, pg


@pytest.fixture
def page(browser, server, request):
    context, pg = _new_page(browser, server)
    yield pg
    context.close()


def shot(pg, name: str, full_page: bool = True) -> Path:
    """A screenshot for a person to look at (``test-screenshots/``, or
    ``$REFORM_SEARCH_SCREENSHOTS``), named after what it shows."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=full_page)
    return path


def clean_console(pg) -> None:
    """What a user would see in the developer console: nothing."""
    assert pg.console_errors == [], pg.console_errors
    assert [f for f in pg.failed if "/api/" not in f] == [], pg.failed
    assert pg.outside_requests == []


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
    shot(page, "results-1280")

    guangming.click()
    page.wait_for_url(re.compile(r"district="))
    assert parse_qs(urlsplit(page.url).query)["district"] == ["光明区"]
    assert page.locator("#total").inner_text() == "2"
    assert all(t.startswith("光明区") for t in page.locator(".hit .meta").all_inner_texts())
    chip = page.locator(".chip")
    assert chip.count() == 1 and "光明区" in chip.inner_text()
    shot(page, "filtered-1280")

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
    shot(page, "document-1280", full_page=False)
    clean_console(page)


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


# ---------------------------------------------------------------- issue 13


def _api(page, server, path):
    return page.request.get(server + path).json()


def test_by_document_view_shows_one_row_per_document_with_its_count(page, server):
    """强区放权: nine paragraphs, all from one document — the view says so."""
    page.goto(server + "/?q=强区放权")
    assert page.locator("#total").inner_text() == "9"
    assert page.locator(".hit").count() == 9
    assert "按段落计" in page.locator("#facet-district h2").inner_text()
    page.locator('a.view-link[data-view="documents"]').click()
    page.wait_for_url(re.compile(r"view=documents"))
    groups = page.locator(".group")
    assert groups.count() == 1
    assert page.locator("#documents").inner_text() == "1"
    assert page.locator("#total").inner_text() == "9"
    assert groups.first.locator(".matches strong").inner_text() == "9"
    assert "羅湖區" in groups.first.locator("h3").inner_text()
    assert groups.first.locator(".snippet").count() == 2  # its best two excerpts
    assert groups.first.locator(".snippet mark").count() >= 2
    # the facets now count documents, and say so
    assert "按文档计" in page.locator("#facet-district h2").inner_text()
    assert page.locator('.facet-value[data-value="罗湖区"] .count').inner_text() == "1"
    shot(page, "by-document-1280")
    # several documents: ordered by their best paragraph, each counted
    page.goto(server + "/?q=放管服&view=documents")
    api = _api(page, server, "/api/documents?q=放管服")
    shown = [int(t) for t in page.locator(".group .matches strong").all_inner_texts()]
    assert shown == [g["matches"] for g in api["groups"]] and sum(shown) == 5
    assert page.locator("#documents").inner_text() == "3"
    titles = page.locator(".group h3").all_inner_texts()
    assert titles == [g["title"] for g in api["groups"]]
    clean_console(page)


def test_timeline_has_every_year_and_each_bar_drills_down(page, server):
    page.goto(server + "/?q=改革")
    chart = page.locator("svg.timeline")
    assert chart.get_attribute("data-first") == "2017" and chart.get_attribute("data-last") == "2023"
    bars = chart.locator("g.bar")
    years = [int(b.get_attribute("data-year")) for b in bars.all()]
    assert years == list(range(2017, 2024))  # continuous: 2019 and 2022 are there, as zero
    counts = {int(b.get_attribute("data-year")): int(b.get_attribute("data-count")) for b in bars.all()}
    facet = _api(page, server, "/api/search?q=改革&limit=1")["facets"]["year"]
    assert counts == {y: facet.get(str(y), 0) for y in range(2017, 2024)}
    assert counts[2019] == 0 and counts[2022] == 0
    box = chart.bounding_box()
    assert box["width"] >= 600 and box["height"] >= 150  # large enough to read
    tallest = max(counts, key=counts.get)
    bar_box = chart.locator(f'g.bar[data-year="{tallest}"] rect.value-bar').bounding_box()
    assert bar_box["height"] >= 100
    shot(page, "timeline-1280")
    chart.locator('g.bar[data-year="2020"]').click()
    page.wait_for_url(re.compile(r"year=2020"))
    assert page.locator("#total").inner_text() == str(counts[2020])
    clean_console(page)


def test_district_comparison_chart_matches_each_districts_years(page, server):
    page.goto(server + "/?q=改革")
    chart = page.locator("svg.comparison")
    assert chart.count() == 1
    series = chart.locator("g.series")
    districts = [s.get_attribute("data-district") for s in series.all()]
    assert len(districts) >= 2 and set(districts) <= {"罗湖区", "龙华区", "龙岗区", "光明区"}
    first_years = {}
    for s in series.all():
        d = s.get_attribute("data-district")
        want = _api(page, server, f"/api/search?q=改革&limit=1&district={d}")["facets"]["year"]
        got = {b.get_attribute("data-year"): int(b.get_attribute("data-count")) for b in s.locator("g.bar").all()}
        assert got == want, d
        first_years[d] = int(s.get_attribute("data-first-year"))
    # one axis for all: the same year sits at the same x in every strip
    xs = {}
    for s in series.all():
        for b in s.locator("g.bar").all():
            xs.setdefault(b.get_attribute("data-year"), set()).add(round(b.locator("rect").bounding_box()["x"]))
    assert all(len(v) == 1 for v in xs.values()), xs
    assert first_years["罗湖区"] == 2017  # who wrote about it first
    shot(page, "comparison-1280")
    # choosing two districts compares exactly those
    page.goto(server + "/?q=改革&district=龙华区&district=光明区")
    assert [s.get_attribute("data-district") for s in page.locator("svg.comparison g.series").all()] == ["龙华区", "光明区"]
    clean_console(page)


def test_suggestions_are_links_that_search_what_they_say(page, server):
    # a typo shows the word's results, and a link searches it as typed …
    page.goto(server + "/?q=营商坏境")
    assert int(page.locator("#total").inner_text()) > 0
    as_typed = page.locator("a.suggestion", has_text="仍然搜索“营商坏境”")
    assert as_typed.count() == 1
    shot(page, "typo-1280")
    as_typed.click()
    page.wait_for_url(re.compile(r"q=%22%E8%90%A5%E5%95%86%E5%9D%8F%E5%A2%83%22"))
    assert page.locator("#q").input_value() == '"营商坏境"'
    # … which finds nothing, and offers the word
    assert page.locator("#total").inner_text() == "0"
    link = page.locator("a.suggestion", has_text="营商环境")
    assert link.count() == 1
    shot(page, "suggestion-1280")
    link.click()
    page.wait_for_url(re.compile(r"q=%22%E8%90%A5%E5%95%86%E7%8E%AF%E5%A2%83%22"))
    assert int(page.locator("#total").inner_text()) > 0
    # "去掉筛选条件": the same words, no filters
    page.goto(server + "/?q=强区放权&district=龙华区")
    page.locator("a.suggestion", has_text="去掉筛选条件").click()
    page.wait_for_url(lambda url: "district" not in url)
    assert page.locator("#total").inner_text() == "9"
    # no fragment of a longer name is offered as a word
    page.goto(server + "/?q=区发改居")
    assert "改局" not in page.locator(".notes").inner_text()
    clean_console(page)


def test_phone_filter_button_opens_the_facets_above_the_results(browser, server):
    context, pg = _new_page(browser, server, 390, 844)
    try:
        pg.goto(server + "/?q=放管服")
        toggle = pg.locator("#filter-toggle")
        assert toggle.is_visible() and toggle.inner_text().startswith("筛选")
        assert not pg.locator("#facets").is_visible()
        first_hit = pg.locator(".hit").first.bounding_box()
        assert first_hit["y"] < 844  # results on the first screen, not 2,700 px down
        shot(pg, "phone-390-results")
        toggle.click()
        assert toggle.get_attribute("aria-expanded") == "true"
        facets = pg.locator("#facets")
        assert facets.is_visible()
        assert facets.bounding_box()["y"] < pg.locator(".results").bounding_box()["y"]
        shot(pg, "phone-390-filters-open")
        pg.locator('.facet-value[data-value="光明区"]').click()
        pg.wait_for_url(re.compile(r"district="))
        chip = pg.locator(".chip")
        assert chip.is_visible() and "光明区" in chip.inner_text()
        assert chip.bounding_box()["y"] < pg.locator(".hit").first.bounding_box()["y"]
        assert "已选 1" in pg.locator("#filter-toggle").inner_text()
        for url in ("/?q=放管服", "/?q=改革&view=documents", "/?q=营商坏境", "/doc/" +
                    _api(pg, server, "/api/search?q=放管服")["hits"][0]["doc_id"] + "?q=放管服"):
            pg.goto(server + url)
            assert pg.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0, url
        shot(pg, "phone-390-document")
        clean_console(pg)
    finally:
        context.close()


def test_desktop_has_no_filter_button_and_facets_beside_results(page, server):
    page.goto(server + "/?q=放管服")
    assert not page.locator("#filter-toggle").is_visible()
    facets, results = page.locator("#facets").bounding_box(), page.locator(".results").bounding_box()
    assert facets["x"] + facets["width"] <= results["x"]
    assert abs(facets["y"] - results["y"]) < 60
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def test_keyboard_reaches_every_control_with_a_visible_focus(page, server):
    page.goto(server + "/?q=放管服")
    wanted = {"#q", ".facet-value", ".view-link", ".sort a", "svg.timeline a", ".hit h3 a", ".cite summary"}
    reached, outlines = set(), []
    for _ in range(120):
        page.keyboard.press("Tab")
        info = page.evaluate("""() => { const el = document.activeElement; const cs = getComputedStyle(el);
            return {sel: [el.id ? '#' + el.id : '', el.className && el.className.baseVal === undefined ? el.className : '',
                    el.closest('svg.timeline') ? 'svg.timeline a' : '', el.closest('.sort') ? '.sort a' : '',
                    el.closest('.hit h3') ? '.hit h3 a' : '', el.closest('.cite') && el.tagName === 'SUMMARY' ? '.cite summary' : ''],
                    outline: cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0, tag: el.tagName}; }""")
        for s in info["sel"]:
            for w in wanted:
                if s and (s == w or ("." + s.split()[0]) == w):
                    reached.add(w)
        if info["tag"] in ("A", "BUTTON", "INPUT", "SUMMARY") and not info["sel"][2]:
            outlines.append(info["outline"])
    assert wanted <= reached, wanted - reached
    assert outlines and all(outlines)  # :focus-visible shows on every focused control
    # Enter on a focused facet value selects it
    page.locator('.facet-value[data-value="光明区"]').focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"district="))
    assert page.locator("#total").inner_text() == "2"
    shot(page, "keyboard-focus-1280", full_page=False)
    clean_console(page)


def test_document_page_has_citation_url_search_box_and_contents(page, server):
    hit = _api(page, server, "/api/search?q=强区放权")["hits"][0]
    page.goto(server + f"/doc/{hit['doc_id']}?q=强区放权&at={hit['paragraph']}")
    toc = page.locator(".toc li a")
    assert toc.count() >= 5
    entry = toc.nth(3)
    target = entry.get_attribute("href")
    entry.click()
    assert page.locator(target).evaluate("el => el.matches(':target')")
    page.locator(".doc-cite .cite summary").first.click()
    citation = page.locator(".doc-cite .citation").first.inner_text()
    assert hit["title"] in citation and "羅辦發〔2017〕1號" in citation and "(2017-03-28)" in citation
    assert page.locator(".at-cite .citation").text_content().count(f"第 {hit['paragraph']} 段") == 1
    assert "来源未给出" in page.locator(".docmeta").inner_text()  # the seed scrape names no address
    assert page.locator("#doc-matches").inner_text() == "5"
    page.locator("#docq").fill("罗湖")
    page.locator("#docq").press("Enter")
    page.wait_for_url(re.compile(r"q=%E7%BD%97%E6%B9%96"))
    assert int(page.locator("#doc-matches").inner_text()) > 5
    assert page.locator(".para.matched mark").count() > 5
    shot(page, "document-contents-1280", full_page=False)
    clean_console(page)


def test_long_facet_lists_fold_behind_more_with_a_filter_box(browser, many_values_server):
    server = many_values_server
    context, pg = _new_page(browser, server)
    try:
        pg.goto(server + "/?q=改革")
        year = pg.locator("#facet-year")
        assert year.locator(".facet-value:visible").count() == 10
        more = year.locator("details.more-values summary")
        assert more.inner_text() == "更多（5）"
        more.focus()
        pg.keyboard.press("Enter")  # a keyboard opens it too
        assert year.locator(".facet-value:visible").count() == 15
        more.click()
        box = year.locator(".facet-search")
        box.fill("2002")
        visible = year.locator(".facet-value:visible")
        assert visible.count() == 1 and "2002" in visible.inner_text()
        shot(pg, "facet-more-1280")
        visible.click()
        pg.wait_for_url(re.compile(r"year=2002"))
        assert pg.locator("#total").inner_text() == "1"
        assert pg.request.get(server + "/favicon.ico").status == 200
        clean_console(pg)
    finally:
        context.close()


@pytest.fixture(scope="module")
def many_values_server(tmp_path_factory):
    """Fifteen documents, one a year (1990, 1993, …, 2032): a year facet
    longer than the ten values listed before "更多"."""
    import json

    from waitress.server import create_server

    from indexer.build import build_index
    from web.cli import app_for

    root = tmp_path_factory.mktemp("many-values")
    corpus = root / "corpus"
    corpus.mkdir()
    for n in range(15):
        year = 1990 + 3 * n
        (corpus / f"d{n:02d}.txt").write_text(f"第{n}号文件\n深化改革第{n}项，推进营商环境建设。\n", encoding="utf-8")
        (corpus / f"d{n:02d}.txt.meta.json").write_text(json.dumps({"year": year, "title": f"文件{n}"}), encoding="utf-8")
    build_index([corpus], root / "index", progress=False)
    srv = create_server(app_for(["--index", str(root / "index")]), host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.effective_port}"
    srv.close()


# ---------------------------------------------------------------- issue 24: the researcher's desk


@pytest.fixture(params=[1280, 390], ids=lambda w: f"{w}px")
def sized(browser, server, request):
    """A page at a desktop's and a phone's width (``page.width``)."""
    context, pg = _new_page(browser, server, width=request.param, height=1100)
    pg.width = request.param
    yield pg
    context.close()


def test_home_page_and_documents_table_show_the_archive_with_the_apis_counts(sized, server):
    page, width = sized, sized.width
    table = _api(page, server, "/api/documents/all")
    page.goto(server + "/")
    newest = page.locator(".newest-list li")
    assert newest.count() == 5 and newest.first.get_attribute("data-doc") == table["documents"][0]["doc_id"]
    assert page.locator("#archive-documents").inner_text() == str(table["total"])
    shown = {(a.get_attribute("data-facet"), a.get_attribute("data-value")): int(a.locator(".count").inner_text())
             for a in page.locator(".archive-facet .facet-value").all()}
    assert shown and all(table["facets"][f][v] == n for (f, v), n in shown.items())
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    shot(page, f"home-{width}")

    page.locator('.archive-facet .facet-value[data-value="龙华区"]').click()
    page.wait_for_url(re.compile(r"/documents\?district="))
    narrowed = _api(page, server, "/api/documents/all?district=龙华区")
    assert page.locator("#doc-table tbody tr").count() == narrowed["total"] == 2
    if width == 390:  # the filters sit behind one button on a phone
        page.locator("#filter-toggle").click()
    for link in page.locator("#facets .facet-value").all():
        facet, value = link.get_attribute("data-facet"), link.get_attribute("data-value")
        if link.get_attribute("aria-pressed") == "false":
            assert int(link.locator(".count").inner_text()) == narrowed["facets"][facet][value]
    page.goto(server + "/documents")
    # the column header sorts; a phone has no header row, the order links instead
    page.locator('th a[data-column="title"]' if width > 760 else '.sort a[data-sort="title"]').click()
    page.wait_for_url(re.compile(r"sort=title"))
    assert page.locator("th.col-title").get_attribute("aria-sort") == "ascending"
    rows = [r.get_attribute("data-doc") for r in page.locator("#doc-table tbody tr").all()]
    assert rows == [d["doc_id"] for d in _api(page, server, "/api/documents/all?sort=title")["documents"]]
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    shot(page, f"documents-{width}")
    page.locator("#doc-table tbody tr a").first.click()
    page.wait_for_url(re.compile(r"/doc/[0-9a-f]{16}"))
    clean_console(page)


def test_suggestions_combobox_works_by_keyboard(sized, server):
    page, width = sized, sized.width
    page.goto(server + "/")
    box = page.locator("#q")
    assert box.get_attribute("role") == "combobox" and box.get_attribute("aria-expanded") == "false"
    box.press_sequentially("营商", delay=30)
    listbox = page.locator("#q-suggestions")
    listbox.wait_for(state="visible")
    assert box.get_attribute("aria-expanded") == "true" and listbox.get_attribute("role") == "listbox"
    first = page.locator("#q-suggestions [role=option]").first
    assert first.locator("span").first.inner_text() == "营商环境"
    box.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
    assert first.get_attribute("aria-selected") == "true"
    shot(page, f"suggest-{width}", full_page=False)
    box.press("Escape")  # the list closes, the box keeps the focus and what was typed
    assert listbox.is_hidden() and box.get_attribute("aria-expanded") == "false"
    assert box.evaluate("el => el === document.activeElement") and box.input_value() == "营商"
    box.press("Backspace")
    box.press_sequentially("商", delay=30)
    listbox.wait_for(state="visible")
    box.press("ArrowDown")
    box.press("Enter")
    page.wait_for_url(re.compile(r"q=%E8%90%A5%E5%95%86%E7%8E%AF%E5%A2%83"))  # 营商环境
    assert int(page.locator("#total").inner_text()) > 0
    # a title: Enter opens the document (traditional title, simplified typing)
    box = page.locator("#q")
    box.fill("")
    box.press_sequentially("罗湖区2017", delay=30)
    page.locator("#q-suggestions .suggestion-title").first.wait_for(state="visible")
    options = page.locator("#q-suggestions [role=option]")
    titles = [i for i in range(options.count()) if "suggestion-title" in options.nth(i).get_attribute("class")]
    for _ in range(titles[0] + 1):
        box.press("ArrowDown")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/doc/[0-9a-f]{16}"))
    assert "羅湖區2017年改革計劃" in page.locator("h1").inner_text()
    clean_console(page)


def test_advanced_form_writes_the_search_url(sized, server):
    page, width = sized, sized.width
    page.goto(server + "/?q=改革")
    page.locator(".advanced-link").click()
    page.wait_for_url(re.compile(r"/advanced"))
    assert page.locator("#adv-all").input_value() == "改革"
    page.locator("#adv-phrase").fill("一网通办")
    page.locator("#adv-any").fill("营商环境 审批")
    page.locator("#adv-none").fill("督查")
    page.locator('input[name=district][value="罗湖区"]').check()
    page.locator("#adv-kind").select_option("通知")
    page.locator("#adv-from").fill("2017-01-01")
    page.locator("#adv-to").fill("2017-12-31")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    shot(page, f"advanced-{width}")
    page.locator("#advanced-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"^[^?]*/\?q="))
    args = parse_qs(urlsplit(page.url).query)
    assert args == {"q": ['改革 "一网通办" 营商环境 OR 审批 -督查'], "district": ["罗湖区"], "kind": ["通知"],
                     "date": ["2017-01-01..2017-12-31"]}
    assert page.locator("#q").input_value() == '改革 "一网通办" 营商环境 OR 审批 -督查'
    page.goto(server + "/advanced")
    page.locator("input[name=scope][value=title]").check()
    page.locator("#adv-all").fill("改革计划")
    page.locator("#adv-all").press("Enter")
    page.wait_for_url(re.compile(r"view=documents"))
    assert page.locator(".group").count() == 1 and "羅湖區2017年改革計劃" in page.locator(".group h3").inner_text()
    clean_console(page)


def test_the_results_feed_and_export_remember_the_search(page, server, tmp_path):
    """The page's Atom link read by a feed parser (newest first), and the
    Excel and CSV downloads read back as a researcher's tools read them."""
    import feedparser
    import openpyxl
    import pandas

    page.goto(server + "/?q=改革&district=罗湖区&district=龙华区")
    href = page.locator('link[rel=alternate][type="application/atom+xml"]').get_attribute("href")
    assert href == page.locator("a.feed").get_attribute("href")
    feed = feedparser.parse(page.request.get(server + href).body())
    assert not feed.bozo and len(feed.entries) == 3
    days = [e.updated_parsed for e in feed.entries]
    assert days == sorted(days, reverse=True)
    with page.expect_download() as caught:
        page.locator('a:text-is("Excel")').click()
    workbook = tmp_path / caught.value.suggested_filename
    caught.value.save_as(workbook)
    assert re.fullmatch(r"改革检索_改革_\d{4}-\d{2}-\d{2}\.xlsx", workbook.name)
    conditions = {r[0]: r[1] for r in openpyxl.load_workbook(workbook)["检索条件"].iter_rows(values_only=True)}
    assert conditions["检索词"] == "改革" and conditions["地区"] in ("罗湖区、龙华区", "罗湖区; 龙华区", "罗湖区,龙华区") \
        or "罗湖区" in str(conditions["地区"]) and "龙华区" in str(conditions["地区"])
    assert conditions["导出段落"] == conditions["匹配段落"] == int(page.locator("#total").inner_text())
    with page.expect_download() as caught:
        page.locator('a:text-is("CSV")').click()
    table = pandas.read_csv(caught.value.path())
    assert len(table) == conditions["导出段落"] and set(table["地区"]) == {"罗湖区", "龙华区"}
    clean_console(page)
