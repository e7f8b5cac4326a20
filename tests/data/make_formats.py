"""Makes the format fixtures in ``formats/`` from the seed corpus, as a
researcher would receive them: a PDF printed by Chromium (running heads and
feet, page numbers, wrapped and indented lines), a Word file with heading
styles, a table and a footnote, a scan (an image, no text layer) and old
Office binaries; and two PDFs whose metadata date is the day they were
printed (a provincial work report opening with its own date, a one-page
notice of a heading and three short paragraphs). Run it by hand (needs
chromium and python-docx); the files it writes are committed, so the tests
need neither. Name fixtures to make only those:

    python tests/data/make_formats.py
    python tests/data/make_formats.py report_pdf short_pdf
"""
from __future__ import annotations

import base64
import html
import re
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

HERE = Path(__file__).parent
OUT = HERE / "formats"
SEEDS = HERE.parent.parent / "data" / "corpus"
PAGE_STYLE = ("body{font-family:'WenQuanYi Zen Hei';font-size:14pt;margin:2cm}"
              "p{text-indent:2em;line-height:1.6;margin:0 0 .4em} h1{text-align:center;font-size:20pt}")


def _seed_lines(prefix: str) -> list[str]:
    path = next(SEEDS.glob(prefix + "_*.txt"))
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _print_pdf(page: str, target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "page.html"
        source.write_text(page, encoding="utf-8")
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                        f"--print-to-pdf={target}", source.as_uri()], check=True, capture_output=True)


def make_pdf() -> None:
    lines = _seed_lines("000")
    title = lines[1]
    body = "".join(f"<p>{html.escape(line)}</p>\n" for line in lines[2:])
    page = (f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{PAGE_STYLE}</style></head><body><h1>{html.escape(title)}</h1>\n{body}</body></html>")
    _print_pdf(page, OUT / "000_longhua.pdf")


def _page(title: str, paragraphs: list[str], before: str = "") -> str:
    body = "".join(f"<p>{html.escape(p)}</p>\n" for p in paragraphs)
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{PAGE_STYLE}</style></head><body><h1>{html.escape(title)}</h1>\n{before}{body}</body></html>")


def make_report_pdf() -> None:
    """A provincial government work report as people print it from the web:
    its title names the year, its first line the day it was delivered; the
    PDF's own creation date is the day of printing."""
    subtitle = '<p style="text-align:center;text-indent:0">——2025年1月13日在河北省第十四届人民代表大会第三次会议上</p>\n'
    speaker = '<p style="text-align:center;text-indent:0">河北省省长 王正谱</p>\n'
    paragraphs = [
        "各位代表：",
        "现在，我代表省人民政府，向大会报告工作，请予审议，并请省政协委员和其他列席人员提出意见。",
        "一、2024年工作回顾",
        "过去一年，全省上下坚持稳中求进工作总基调，预计全省生产总值增长5.2%，规模以上工业增加值增长7%，"
        "固定资产投资增长6.5%，主要经济指标增速高于全国平均水平。",
        "持续优化营商环境，深化“放管服”改革，推行招标投标“双盲”评审，政务服务事项网上可办率进一步提高，"
        "市场主体活力不断增强。",
        "二、2025年工作安排",
        "坚定不移深化改革开放，纵深推进京津冀协同发展，高标准高质量建设雄安新区，加快培育新质生产力。",
    ]
    _print_pdf(_page("2025年河北省政府工作报告", paragraphs, subtitle + speaker), OUT / "2025_hebei_work_report.pdf")


def make_short_pdf() -> None:
    """What Chromium prints from a short notice: one page, a heading and
    three short paragraphs, no line that reaches the right margin twice."""
    paragraphs = ["各街道办事处、区直各单位：",
                  "经区委改革办研究，定于本周五召开营商环境改革推进会。",
                  "请各单位主要负责同志准时参加。"]
    _print_pdf(_page("关于召开营商环境改革推进会的通知", paragraphs), OUT / "short_notice.pdf")


def make_notice_pdf() -> None:
    """An official notice as a district prints it: a title too long for one
    line, so it wraps over two centred lines; its 文号 under it; a heading
    set letter-spaced (the gaps PDFium reads as spaces); a signature and
    the day it was written."""
    title = "深圳市罗湖区人民政府办公室关于印发罗湖区深化营商环境改革实施方案（2021—2023年）的通知"
    style = PAGE_STYLE + " .c{text-align:center;text-indent:0}" \
        " .spaced{letter-spacing:.6em;text-indent:0} .r{text-align:right;text-indent:0}"
    body = (f'<p class="c">罗府办〔2021〕7号</p>\n<p>各街道办事处，区政府直属各单位：</p>\n'
            "<p>《罗湖区深化营商环境改革实施方案（2021—2023年）》已经区政府同意，现印发给你们，请认真组织实施。</p>\n"
            '<p class="spaced">一、总体要求</p>\n'
            "<p>以优化营商环境为基础，全面深化放管服改革，推进政务服务一网通办。</p>\n"
            '<p class="r">深圳市罗湖区人民政府办公室</p>\n<p class="r">2021年3月5日</p>\n')
    page = (f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{style}</style></head><body><h1>{html.escape(title)}</h1>\n{body}</body></html>")
    _print_pdf(page, OUT / "notice_wrapped_title.pdf")


def _png(width: int, height: int) -> bytes:
    rows = b"".join(b"\x00" + bytes((x * 7 + y * 3) % 256 for x in range(width)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def make_scan() -> None:
    image = base64.b64encode(_png(400, 560)).decode("ascii")
    page = (f'<!doctype html><html><head><meta charset="utf-8"><title></title></head>'
            f'<body style="margin:0"><img src="data:image/png;base64,{image}" style="width:100%"></body></html>')
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "scan.html"
        source.write_text(page, encoding="utf-8")
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                        f"--print-to-pdf={OUT / 'scan.pdf'}", source.as_uri()], check=True, capture_output=True)


def make_docx() -> None:
    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part
    from docx.oxml import parse_xml

    lines = _seed_lines("003")
    document = docx.Document()
    document.core_properties.title = lines[0]
    document.add_paragraph(lines[0], style="Title")
    # a heading only its style makes one (a sentence, which plain text would take for a paragraph)
    document.add_heading("總體要求：以改革統領全局，紮實推進各項改革任務落地見效。", level=1)
    document.add_paragraph("全區上下要以釘釘子精神抓好改革落實，確保年度任務按期完成。")
    for line in lines[1:]:
        if re.match(r"^[一二三四五六七八九十]+、", line) and len(line) <= 40:
            document.add_heading(line, level=1)
        elif re.match(r"^（[一二三四五六七八九十]+）", line) and len(line) <= 40:
            document.add_heading(line, level=2)
        else:
            document.add_paragraph(line)
    table = document.add_table(rows=3, cols=3)
    for r, row in enumerate([["改革事項", "牽頭單位", "完成時限"], ["商事登記制度改革", "區市場監管局", "2017年6月"],
                             ["不動產統一登記", "區規劃國土局", "2017年12月"]]):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    # a footnote, which python-docx cannot write: its part and a reference to it
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    notes = (f'<w:footnotes {w}><w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p>'
             f'</w:footnote><w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/>'
             f'</w:r></w:p></w:footnote><w:footnote w:id="1"><w:p><w:r><w:t>本計劃由區委改革辦負責解釋。</w:t></w:r>'
             f'</w:p></w:footnote></w:footnotes>')
    part = Part(PackURI("/word/footnotes.xml"),
                "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml",
                notes.encode("utf-8"), document.part.package)
    document.part.relate_to(part, RELATIONSHIP_TYPE.FOOTNOTES)
    document.paragraphs[1]._p.append(parse_xml(f'<w:r {w}><w:footnoteReference w:id="1"/></w:r>'))
    document.save(OUT / "003_luohu.docx")


def make_mojibake() -> None:
    """Seed documents saved after someone read their UTF-8 as GBK (the bytes
    GBK has no character for are lost, as Python's decoder loses them), and
    as Windows-1252 the way browsers read it (unassigned bytes kept as
    control characters): what a mis-set scraper writes."""
    gbk = next(SEEDS.glob("004_*.txt")).read_bytes().decode("gbk", errors="replace")
    (OUT / "004_guangming_gbk_mojibake.txt").write_text(gbk, encoding="utf-8")
    data = next(SEEDS.glob("002_*.txt")).read_bytes()
    latin = "".join(bytes([b]).decode("cp1252") if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else chr(b) for b in data)
    (OUT / "002_longgang_latin1_mojibake.txt").write_text(latin, encoding="utf-8")


def make_binaries() -> None:
    ole = bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504)  # the header every .doc / .wps starts with
    (OUT / "2016_legacy.doc").write_bytes(ole)
    (OUT / "notice.wps").write_bytes(ole)


if __name__ == "__main__":
    import sys

    OUT.mkdir(exist_ok=True)
    makers = {name[len("make_"):]: f for name, f in dict(globals()).items() if name.startswith("make_")}
    for name in sys.argv[1:] or makers:
        makers[name]()
    for f in sorted(OUT.iterdir()):
        print(f"{f.name}: {f.stat().st_size} bytes")
