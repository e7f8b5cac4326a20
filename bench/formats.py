"""Reading speed of the PDF and DOCX readers, on real text in those formats.

Takes N bench documents, prints each to PDF with Chromium (running heads,
page numbers, wrapped and indented lines) and writes it as DOCX (heading
styles for 第X章), then times ``indexer.read_pdf`` and ``indexer.read_docx``
next to the bare PDFium text, and, where they are installed, pypdf and
pdfminer.six (the alternatives PDFium was chosen over):

    python bench/formats.py ../shared/bench-corpus/laws-cn --files 30

Needs chromium on the PATH and python-docx (a dependency).
"""
from __future__ import annotations

import argparse
import html
import io
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

STYLE = ("body{font-family:'WenQuanYi Zen Hei',sans-serif;font-size:12pt;margin:2cm}"
         "p{text-indent:2em;margin:0 0 .3em;line-height:1.5}")


def make(corpus: Path, count: int, seed: int, out: Path) -> int:
    import docx

    files = sorted(f for f in corpus.rglob("*") if f.is_file() and f.suffix in (".md", ".txt"))
    random.Random(seed).shuffle(files)
    chars = 0
    for i, f in enumerate(files[:count]):
        lines = [ln.strip().lstrip("#").strip() for ln in f.read_text(encoding="utf-8", errors="replace").splitlines()]
        lines = [ln for ln in lines if ln]
        chars += sum(map(len, lines))
        page = (f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(lines[0])}</title>'
                f'<style>{STYLE}</style></head><body>{"".join(f"<p>{html.escape(ln)}</p>" for ln in lines)}</body></html>')
        source = out / f"{i:03d}.html"
        source.write_text(page, encoding="utf-8")
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                        f"--print-to-pdf={out / f'{i:03d}.pdf'}", source.as_uri()], check=True, capture_output=True)
        source.unlink()
        document = docx.Document()
        document.core_properties.title = lines[0]
        for ln in lines:
            if ln.startswith("第") and "章" in ln[:6] and len(ln) < 30:
                document.add_heading(ln, 1)
            else:
                document.add_paragraph(ln)
        document.save(out / f"{i:03d}.docx")
    return chars


def timed(name: str, read, paths: list[Path]) -> None:
    started = time.perf_counter()
    chars = sum(read(p.read_bytes()) for p in paths)
    took = time.perf_counter() - started
    print(f"{name:28} {len(paths) / took:7.1f} files/s {chars / took:10,.0f} characters/s ({chars:,} characters)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--files", type=int, default=30)
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()
    from indexer.read_docx import read_docx
    from indexer.read_pdf import read_pdf

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        source_chars = make(args.corpus, args.files, args.seed, out)
        pdfs, docs = sorted(out.glob("*.pdf")), sorted(out.glob("*.docx"))
        print(f"{len(pdfs)} documents, {source_chars:,} characters of text")
        timed("ours: PDF (pypdfium2)", lambda b: sum(map(len, read_pdf(b).paragraphs)), pdfs)

        def bare_pdfium(data: bytes) -> int:
            import pypdfium2 as pdfium

            pdf = pdfium.PdfDocument(data)
            n = sum(len(pdf[i].get_textpage().get_text_range()) for i in range(len(pdf)))
            pdf.close()
            return n

        timed("bare PDFium text", bare_pdfium, pdfs)
        try:
            import pypdf

            timed("pypdf text", lambda b: sum(len(p.extract_text()) for p in pypdf.PdfReader(io.BytesIO(b)).pages),
                  pdfs)
        except ImportError:
            print("pypdf: not installed")
        try:
            from pdfminer.high_level import extract_text

            timed("pdfminer.six text", lambda b: len(extract_text(io.BytesIO(b))), pdfs)
        except ImportError:
            print("pdfminer.six: not installed")
        timed("ours: DOCX (python-docx)", lambda b: sum(map(len, read_docx(b).lines)), docs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
