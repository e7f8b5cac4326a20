"""The search library on the shipped corpus: what matches, what is counted, what is marked."""
import json
import subprocess
import sys

import pytest

from search.present import contract
from search.service import Options


def sources(result):
    return {(h["source"][:3], h["paragraph"]) for h in result["hits"]}


def test_fangguanfu_finds_longhua_both_years_and_guangming(service):
    r = service.search("放管服", Options(limit=50))
    found = sources(r)
    assert ("000", 16) in found  # 龙华 2020
    assert any(s == "001" for s, _ in found)  # 龙华 2018 (traditional)
    assert r["facets"]["district"] == {"龙华区": 3, "光明区": 2}
    assert set(r["facets"]["year"]) == {"2018", "2020", "2021"}
    heading_only = [h for h in r["hits"] if h["text"].startswith("一是打造无实体卡证城区")]
    assert heading_only and "放管服" not in heading_only[0]["text"]  # found through its heading
    assert any("简政放权" in n for n in r["notes"])


def test_simplified_query_marks_traditional_paragraph_in_its_own_script(service):
    r = contract(service.search("营商环境", Options(district=["龙华区"], year=["2018"], limit=50)))
    assert r["total"] >= 2
    assert all(h["source"].startswith("001") for h in r["hits"])
    assert any("<mark>營商環境</mark>" in h["snippet"] for h in r["hits"])


def test_traditional_query_finds_simplified_paragraphs(service):
    simp = service.search("营商环境", Options(limit=100))
    trad = service.search("營商環境", Options(limit=100))
    assert simp["total"] == trad["total"] > 0
    assert sources(simp) == sources(trad)


def test_quoted_phrase_matches_consecutive_words_only(service):
    r = service.search('"深化放管服改革"', Options(limit=50))
    assert r["total"] >= 1
    under_heading = "一是打造无实体卡证城区"  # its heading is 亮点12 深化“放管服”改革
    assert all("放管服" in h["text"] or h["text"].startswith(under_heading) for h in r["hits"])
    assert any(h["text"].startswith("一是打造无实体卡证城区") for h in r["hits"])  # via its heading


def test_district_facet_ignores_its_own_selection(service):
    base = service.search("改革", Options(limit=0))
    selected = service.search("改革", Options(district=["光明区"], limit=0))
    assert selected["facets"]["district"] == base["facets"]["district"]
    assert selected["total"] == base["facets"]["district"]["光明区"]
    assert sum(selected["facets"]["year"].values()) == selected["total"]


def test_malformed_queries_never_fail(service):
    for q in ['"放管服', "AND", "*", "(((", "district:", "year:abc", "", "改" * 10_000, "OR 放管服 OR", "NOT"]:
        r = service.search(q)
        assert isinstance(r["total"], int) and isinstance(r["notes"], list)


@pytest.mark.parametrize("q", ['"放管服', "AND", "*", "(((", "district:", "year:abc", "", "<script>alert(1)</script>"])
def test_cli_json_for_malformed_input_exits_zero(seed_index, q):
    out = subprocess.run([sys.executable, "-m", "search.cli", q, "--json", "--index", str(seed_index)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) == {"query", "total", "page", "limit", "hits", "facets", "notes"}
    assert "<script>" not in "".join(h["snippet"] for h in data["hits"])


def test_markup_in_documents_and_queries_is_escaped_in_snippets(tmp_path):
    from indexer.build import build_index
    from search.service import SearchService
    from search.engines import open_engine

    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "x.txt").write_text("标题\n\n<script>alert(1)</script> 深化放管服改革 <img src=x onerror=alert(2)>\n", encoding="utf-8")
    build_index([corpus], tmp_path / "ix", progress=False)
    service = SearchService(open_engine(tmp_path / "ix"))
    for q in ("放管服", "<script>放管服</script>", "script 放管服"):
        r = contract(service.search(q))
        assert r["total"] == 1, q
        snippet = r["hits"][0]["snippet"]
        assert "<script>" not in snippet and "<img" not in snippet
        assert "&lt;" in snippet and "<mark>放管服</mark>" in snippet


def test_cli_output_into_a_closed_pipe_is_quiet(seed_index):
    proc = subprocess.Popen([sys.executable, "-m", "search.cli", "改革", "-n", "50", "--index", str(seed_index)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.read(10)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0
    assert "Traceback" not in err


def test_human_output_shows_source_facets_and_notes_without_color_when_piped(seed_index):
    out = subprocess.run([sys.executable, "-m", "search.cli", "放管服", "--index", str(seed_index)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    assert "\x1b[" not in out.stdout
    # marks no Chinese text uses (【】 is the documents' own punctuation)
    assert "⟦放管服⟧" in out.stdout and "【" not in out.stdout and "000_c07cc74dd9d7fd3d.txt" in out.stdout
    assert "地区：龙华区 3  光明区 2" in out.stdout
    assert "提示：" in out.stdout
    # why it matched: the heading above it, marked — and not the run-in heading
    # its own text opens with (一是打造无实体卡证城区。…), which would read twice
    assert "〔亮点12 深化“⟦放管服⟧”改革〕\n   一是打造无实体卡证城区" in out.stdout


def test_a_dumb_terminal_gets_no_colour(seed_index):
    """TERM=dumb on a terminal: marks, not escape codes (a pseudo-terminal
    makes stdout a tty, as an Emacs shell buffer is)."""
    import os
    import pty

    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "search.cli", "放管服", "-n", "1", "--index", str(seed_index)],
                            stdout=follower, stderr=subprocess.PIPE, env=dict(os.environ, TERM="dumb"))
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    assert proc.wait(timeout=60) == 0
    os.close(leader)
    shown = b"".join(chunks).decode("utf-8", errors="replace")
    assert "⟦放管服⟧" in shown and "\x1b[" not in shown


def test_facets_lists_every_value_with_its_count_for_the_index_or_a_query(seed_index):
    everything = run_search("--facets", "--index", str(seed_index))
    assert everything.returncode == 0, everything.stderr
    lines = everything.stdout.splitlines()
    assert lines[0].startswith("共 238 段")
    assert lines[1].startswith("地区（4）：") and "罗湖区 95" in lines[1]
    assert lines[3].startswith("领域（10）：")  # every domain of the taxonomy occurs in the seeds
    import json

    one = json.loads(run_search("--facets", "强区放权", "--json", "--index", str(seed_index)).stdout)
    assert one["total"] == sum(one["facets"]["district"].values()) and one["facets"]["year"] == {"2017": one["total"]}
    assert run_search("--index", str(seed_index)).returncode == 2  # no query and no --facets


def run_search(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "search.cli", *args], capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("args", [["-n", "0"], ["-n", "500"], ["--year", "20x0"], ["--sort", "size"],
                                  ["--page", "0"], ["--corpus", "/no/such/folder"], ["--frobnicate"]])
def test_cli_bad_arguments_are_one_line_usage_errors(seed_index, args):
    out = run_search("放管服", "--index", str(seed_index), *args)
    assert out.returncode == 2
    assert out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1 and out.stderr.startswith("search: ")


def test_cli_index_path_that_is_a_file_is_a_one_line_usage_error(tmp_path):
    not_a_folder = tmp_path / "index"
    not_a_folder.write_text("x")
    out = run_search("放管服", "--index", str(not_a_folder))
    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr


def test_cli_json_paging_and_date_sort(seed_index):
    first = json.loads(run_search("改革", "--json", "-n", "5", "--sort", "date", "--index", str(seed_index)).stdout)
    second = json.loads(run_search("改革", "--json", "-n", "5", "--page", "2", "--sort", "date",
                                   "--index", str(seed_index)).stdout)
    assert (first["page"], first["limit"], second["page"]) == (1, 5, 2)
    assert len(first["hits"]) == len(second["hits"]) == 5
    assert not {h["chunk_id"] for h in first["hits"]} & {h["chunk_id"] for h in second["hits"]}
    dates = [h["date"] or str(h["year"]) for h in first["hits"] + second["hits"]]
    assert dates == sorted(dates, reverse=True)  # a year without a day is placed by its year


def test_cli_filters_as_flags(seed_index):
    out = run_search("放管服", "--json", "--district", "光明区", "--district", "龙华区", "--year", "2018-2020",
                     "--index", str(seed_index))
    data = json.loads(out.stdout)
    assert data["total"] > 0
    assert {(h["district"], h["year"]) for h in data["hits"]} <= {("龙华区", 2018), ("龙华区", 2020)}
    assert "光明区" not in data["facets"]["district"]  # its only document is from 2021: the year filter holds


def test_hits_are_highlighted_from_the_tokens_the_index_kept_without_segmenting_again(service, monkeypatch):
    """A page of hits and a document page mark what the paragraph's own
    tokens say — the same marks a fresh analysis gives — and no paragraph is
    segmented to do it (every engine keeps each paragraph's tokens; only the
    query's own words are segmented)."""
    from search import highlight, segmenter
    from search.query import parse as querylang

    segmented: list[str] = []
    real = segmenter.segment

    def watched(text):
        segmented.append(text)
        return real(text)

    monkeypatch.setattr(segmenter, "segment", watched)
    for q in ["营商环境", '"放管服"', "强区放权 改革", "營商環境"]:
        segmented.clear()
        answer = service.search(q, Options(limit=20))
        result = contract(answer)
        assert result["hits"] and any("<mark>" in h["snippet"] for h in result["hits"]), q
        assert all(len(t) <= len(q) for t in segmented), (q, [t[:20] for t in segmented])
        doc = service.document(result["hits"][0]["doc_id"], q)
        assert any(p["matches"] for p in doc["paragraphs"])
        assert all(len(t) <= len(q) for t in segmented), q  # nor a heading path
        marks = highlight.Marks.of(service._planner().resolve(querylang.parse(q).tree, []))
        monkeypatch.setattr(segmenter, "segment", real)
        for h in answer["hits"]:  # the kept tokens' marks are a fresh analysis's
            assert h["spans"] == [list(s) for s in highlight.match_spans(h["text"], marks)], (q, h["chunk_id"])
        monkeypatch.setattr(segmenter, "segment", watched)
