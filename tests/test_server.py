"""search-web as a user starts it (default workers, threads, time limit),
under what a public deployment meets: crowds of idle connections, methods
it does not serve, documents too large to render at once."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from search import config


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(seed_index):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "web.cli", "--index", str(seed_index), "--port", str(port)],
                            cwd=config.PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=5).read()
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("search-web did not start")
    yield base, port
    proc.terminate()
    proc.wait(timeout=30)


def test_hundreds_of_idle_connections_do_not_stop_the_server_answering(server):
    base, port = server
    idle = []
    try:
        for _ in range(600):  # a slowloris crowd: connected, silent
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            idle.append(s)
        time.sleep(0.5)
        started = time.monotonic()
        with urllib.request.urlopen(base + "/api/search?q=%E6%94%BE%E7%AE%A1%E6%9C%8D", timeout=20) as r:
            data = json.loads(r.read())
        assert data["total"] == 5
        assert time.monotonic() - started < 5
    finally:
        for s in idle:
            s.close()


def test_methods_other_than_get_are_405_with_an_allow_header(server):
    base, _ = server
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        req = urllib.request.Request(base + "/api/search?q=x", method=method, data=b"" if method != "OPTIONS" else None)
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=10)
        assert err.value.code == 405, method
        assert err.value.headers["Allow"] == "GET, HEAD"


def _raw_get(port: int, target: bytes) -> tuple[int, bytes]:
    """A GET whose request line carries ``target`` byte for byte (what curl
    sends for a URL typed with Chinese in it); (status, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_raw_utf8_in_the_request_line_is_served_like_its_percent_encoded_twin(server):
    """#24: `curl 'http://127.0.0.1:8000/api/search?q=放管服'` answered 400 "Bad URI"."""
    _, port = server
    status, body = _raw_get(port, "/api/search?q=放管服&district=龙华区".encode("utf-8"))
    twin_status, twin = _raw_get(port, b"/api/search?q=%E6%94%BE%E7%AE%A1%E6%9C%8D&district=%E9%BE%99%E5%8D%8E%E5%8C%BA")
    assert status == twin_status == 200
    assert json.loads(body) == json.loads(twin) and json.loads(body)["total"] == 3
    assert _raw_get(port, "/?q=强区放权".encode("utf-8"))[0] == 200
    assert _raw_get(port, "/doc/不存在".encode("utf-8"))[0] == 404  # a path too: decoded, not refused
    assert _raw_get(port, b"/api/search?q=\xff\xfe")[0] == 200  # not UTF-8 at all: still no 400 from the server


@pytest.fixture(scope="module")
def long_document_app(tmp_path_factory):
    from indexer.build import build_index
    from web.cli import app_for

    root = tmp_path_factory.mktemp("long")
    (root / "corpus").mkdir()
    lines = ["一份很长的文件"] + [f"第{n}段：本区推进第{n}号改革任务，深化放管服改革。" for n in range(1, 1001)]
    (root / "corpus" / "long.txt").write_text("\n".join(lines), encoding="utf-8")
    build_index([root / "corpus"], root / "ix", progress=False, procs=2)  # two writers share its chunks
    return app_for(["--index", str(root / "ix")]).test_client()


def test_a_long_document_is_shown_in_blocks_that_together_hold_every_paragraph(long_document_app):
    import re

    from web.pages import DOC_PAGE_PARAGRAPHS

    client = long_document_app
    hit = client.get("/api/search?q=放管服&limit=1").get_json()["hits"][0]
    url, seen, pages = f"/doc/{hit['doc_id']}", [], 0
    while url:
        html = client.get(url).get_data(as_text=True)
        numbers = [int(n) for n in re.findall(r'class="para[^"]*" id="p(\d+)"', html)]
        assert 0 < len(numbers) <= DOC_PAGE_PARAGRAPHS
        assert "共 1000 段" in html
        seen += numbers
        pages += 1
        nxt = re.search(r'class="docnext" href="([^"]+)"', html)
        url = nxt.group(1).replace("&amp;", "&") if nxt else None
    assert seen == list(range(1, 1001)) and pages == 5


def test_a_hit_links_to_the_block_that_holds_its_paragraph(long_document_app):
    import re

    client = long_document_app
    html = client.get("/?q=" + "第777号改革任务").get_data(as_text=True)
    link = re.search(r'<h3><a href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert link.endswith("#p777")
    page = client.get(link.split("#")[0]).get_data(as_text=True)
    assert 'id="p777"' in page and "<mark>" in page
    assert 'id="p1"' not in page
