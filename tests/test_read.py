"""Wrong encodings, binary and empty files: decoded or skipped with a reason, never fatal."""
import pytest

from indexer.read import SkipFile, SourceFile, decode_bytes, find_files, read_document, scan

SIMPLIFIED = "深化“放管服”改革，推进营商环境改革创新实验区建设。龙华区2020年工作要点。" * 3
TRADITIONAL = "深化「放管服」改革，推進營商環境改革創新實驗區建設。龍華區2018年改革工作要點。" * 3


@pytest.mark.parametrize(
    "data, expected",
    [
        (SIMPLIFIED.encode("utf-8"), SIMPLIFIED),
        (b"\xef\xbb\xbf" + SIMPLIFIED.encode("utf-8"), SIMPLIFIED),
        (SIMPLIFIED.encode("utf-16"), SIMPLIFIED),
        (SIMPLIFIED.encode("utf-16-le"), SIMPLIFIED),
        (SIMPLIFIED.encode("gb18030"), SIMPLIFIED),
        (TRADITIONAL.encode("big5"), TRADITIONAL),
        (TRADITIONAL.encode("utf-16-be"), TRADITIONAL),
    ],
    ids=["utf8", "utf8-bom", "utf16-bom", "utf16le-nobom", "gb18030", "big5", "utf16be-nobom"],
)
def test_chinese_encodings_decode_to_the_same_text(data, expected):
    text, _ = decode_bytes(data)
    assert text == expected


def test_empty_and_whitespace_files_are_skipped_with_reason():
    for data in (b"", b"  \n\r\n\t"):
        with pytest.raises(SkipFile, match="empty"):
            decode_bytes(data)


def test_binary_file_is_skipped_with_reason():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40
    with pytest.raises(SkipFile, match="binary|not text"):
        decode_bytes(png)


def test_html_keeps_visible_body_text_only(tmp_path):
    page = tmp_path / "a.html"
    page.write_text(
        "<html><head><title>龙华区改革要点_深圳新闻网</title><style>p{}</style>"
        "<script>var x='脚本';</script></head><body><nav>首页 新闻</nav>"
        "<p>深化<b>放管服</b>改革。</p><div>推进营商环境改革。<br>第二行</div></body></html>",
        encoding="gb18030",
    )
    doc = read_document(SourceFile(page, tmp_path, "a.html"))
    assert doc.text.splitlines() == ["深化放管服改革。", "推进营商环境改革。", "第二行"]
    assert doc.html_title.startswith("龙华区改革要点")


def test_find_files_walks_subfolders_and_reports_every_other_file(tmp_path):
    (tmp_path / "sub" / ".hidden").mkdir(parents=True)
    for name in ("a.txt", "a.txt.meta.json", "sub/b.md", "sub/c.HTM", "sub/d.pdf", "sub/e.DOCX", "sub/f.doc",
                 "sub/g.png", "sub/README", "sub/.hidden/h.txt", ".DS_Store", "x.txt.meta.json"):
        (tmp_path / name).write_text("改革", encoding="utf-8")
    assert [f.rel for f in find_files(tmp_path)] == ["a.txt", "sub/b.md", "sub/c.HTM", "sub/d.pdf", "sub/e.DOCX"]
    reasons = dict(scan(tmp_path).skipped)  # hidden entries aside, every file not read is named
    assert set(reasons) == {"sub/f.doc", "sub/g.png", "sub/README", "x.txt.meta.json"}
    assert reasons["sub/f.doc"] == "unsupported format (.doc): convert to .docx or .pdf"
    assert reasons["sub/README"].startswith("unsupported format (no extension)")
