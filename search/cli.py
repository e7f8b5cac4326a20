"""``search``: ranked, highlighted paragraphs with their source and facet counts."""
from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

from . import config, engines, export, facets, present
from .cliutil import OneLineParser, damaged_message, fail, index_folder, is_explicit, write_output
from .engine import FACETS
from .i18n import _, use_catalogue
from .errors import IndexDamaged
from .text import int_argument, plain, shown



class QueryParser(OneLineParser):
    """A query may start with its exclusion (``search -督查``): a dash before
    a Chinese word or a quote is the query language's NOT, never an option
    (options are ASCII), so no ``--`` is needed. Its words need no quotes
    (``search 放管服 改革``): every word given is the query, before, between or
    after the options."""

    intermixed = True

    def _parse_optional(self, arg_string):
        if len(arg_string) > 1 and arg_string[0] == "-" and not arg_string[1].isascii():
            return None
        return super()._parse_optional(arg_string)


def build_parser() -> OneLineParser:
    use_catalogue()
    p = QueryParser(prog="search", description=_("Search Chinese reform documents."))
    p.add_argument("query", nargs="*", default=[],
                   help=_('search words, e.g. 放管服 改革, or \'"营商环境" district:龙华区\' (may be left out with --facets)'))
    p.add_argument("--district", action="append", default=[], metavar="D", help=_("filter by district (repeatable)"))
    p.add_argument("--year", action="append", default=[], metavar="Y", help=_("2020 or 2018-2021 (repeatable)"))
    p.add_argument("--domain", action="append", default=[], metavar="X", help=_("reform domain (repeatable)"))
    p.add_argument("--issuer", action="append", default=[], metavar="I",
                   help=_("issuing body, 发文机关, e.g. 国务院 (repeatable)"))
    p.add_argument("--kind", action="append", default=[], metavar="K", help=_("文种, e.g. 通知 or 条例 (repeatable)"))
    p.add_argument("--date", default="", metavar="SPAN",
                   help=_("documents dated within a span of days: 2021-03-01..2021-06-30 (either end may be left "
                        "open), or one day, month (2021-03) or year"))
    p.add_argument("--since", default="", metavar="DAY",
                   help=_("what is new: documents dated on or after DAY (2026-11-01), newest first unless --sort says"))
    p.add_argument("-n", type=int_argument, default=10, metavar="N", help=_("hits per page (default 10)"))
    p.add_argument("--page", type=int_argument, default=1, metavar="P", help=_("page number (default 1)"))
    p.add_argument("--sort", choices=("relevance", "date", "date-asc", "title", "paragraphs"), default=None,
                   help=_("relevance (default), date (newest first) or date-asc (oldest first); with --list also "
                        "title (by pinyin) or paragraphs (most first)"))
    p.add_argument("--list", action="store_true",
                   help=_("list the documents (every one, or those the filters keep), newest first, with their "
                        "document counts per facet value: the archive's table"))
    p.add_argument("--facets", action="store_true",
                   help=_("the facet values and their paragraph counts (the whole index, or the query's matches)"))
    p.add_argument("--by-document", action="store_true",
                   help=_("one entry per document: its matching paragraphs' count and best two excerpts"))
    p.add_argument("--show", metavar="DOC_ID",
                   help=_("print the cleaned document with the query's matches marked (through $PAGER on a terminal)"))
    p.add_argument("--export", metavar="FILE",
                   help=_("write every matching paragraph (up to 10,000) to FILE.csv, .json or .xlsx, or the matching "
                        "documents' citations to FILE.ris or .bib (with --show: that document's); - for CSV on stdout"))
    p.add_argument("--lang", choices=export.LANGS, default="en",
                   help=_("export column names: en (default, what scripts read) or zh (what a person reads)"))
    p.add_argument("--no-synonyms", action="store_true",
                   help=_("the words as typed only, no synonym from data/aliases.txt (quoted words never have one)"))
    p.add_argument("--json", action="store_true", help=_("print the JSON contract object"))
    p.add_argument("--no-color", action="store_true", help=_("no colour even on a terminal"))
    p.add_argument("--index", type=Path, metavar="DIR", help=_("index folder (default {path})").format(path=config.default_index()))
    p.add_argument("--corpus", action="append", type=Path, metavar="DIR",
                   help=_("corpus folder(s) to build the index from if it does not exist yet"))
    engines.add_options(p)
    return p


def _use_color(args) -> bool:
    return (not args.no_color and not args.json and sys.stdout.isatty() and "NO_COLOR" not in os.environ
            and os.environ.get("TERM") != "dumb")


# Without colour a match is marked with brackets Chinese text never uses
# (【】 and 〔〕 are its own), so a mark cannot be taken for the document's.
PLAIN_MARKS = ("⟦", "⟧")


def format_facets(result: dict) -> str:
    """``search --facets``: each facet's values with their counts, a line each."""
    lines = [f"共 {result['total']} 段" + (f"（{plain(result['query'])}）" if result["query"].strip() else "")]
    for key in FACETS:
        counts = result["facets"].get(key) or {}
        lines.append(f"{facets.LABELS[key]}（{len(counts)}）：" +
                     ("  ".join(f"{plain(k)} {v}" for k, v in counts.items()) if counts else "—"))
    for note in result["notes"]:
        lines.append(f"提示：{plain(note)}")
    return "\n".join(lines)


def _marks(color: bool) -> tuple[str, str]:
    return ("\x1b[1;31m", "\x1b[0m") if color else PLAIN_MARKS


def _styles(color: bool) -> tuple[str, str, str]:
    """(bold, dim, reset), or nothing without colour."""
    return ("\x1b[1m", "\x1b[2m", "\x1b[0m") if color else ("", "", "")


def _where_and_when(item: dict) -> str:
    """A document's district and its date (or year), for a heading line."""
    when = item["date"] or (str(item["year"]) if item["year"] else "")
    return plain(" · ".join(x for x in (item["district"] or "", when) if x))


def _facet_lines(counts: dict, unit: str = "") -> list[str]:
    """Below the hits: a line per facet that has values (after a blank line)."""
    lines = [f"{facets.LABELS[key]}{unit}：" + "  ".join(f"{plain(k)} {v}" for k, v in counts[key].items())
             for key in FACETS if counts.get(key)]
    return [""] + lines if lines else []


def format_human(result: dict, color: bool) -> str:
    hl_on, hl_off = _marks(color)
    bold, dim, reset = _styles(color)
    lines = []
    total = result["total"]
    first = (result["page"] - 1) * result["limit"] + 1
    if total:
        last = first + len(result["hits"]) - 1
        if result["hits"]:
            lines.append(f"共 {total} 段，第 {first}–{last} 段：")
        else:  # past the end: say where the end is
            pages = -(-total // result["limit"]) if result["limit"] else 1
            lines.append(f"共 {total} 段，每页 {result['limit']} 段共 {pages} 页；第 {result['page']} 页没有结果，"
                         f"请用 --page 1 到 --page {pages}。")
    else:
        lines.append("没有找到匹配的段落。")
    for n, hit in enumerate(result["hits"], first):
        lines.append("")
        lines.append(f"{bold}{n}. {plain(hit['title'])}{reset}")
        meta = plain(" · ".join(x for x in [hit["district"] or "", str(hit["year"] or ""), "、".join(hit["domains"])] if x))
        where = f"第 {hit['paragraph']} 段 · {shown(hit['source'])}"
        lines.append(f"   {meta}  {dim}{where}{reset}" if meta else f"   {dim}{where}{reset}")
        # the whole heading path, marked: a paragraph found through its
        # heading (深化“放管服”改革 › 一是…) shows why it matched
        if present.official(hit):
            lines.append(f"   {plain(present.official(hit))}")
        if hit["shown_path"]:
            path = present.heading_path(hit, open_mark=hl_on, close_mark=hl_off + dim, quote=plain)
            lines.append(f"   {dim}〔{path}〕{reset}")
        lines.append("   " + present.excerpt(hit, open_mark=hl_on, close_mark=hl_off, quote=plain))
    lines.extend(_facet_lines(result["facets"]))
    for note in result["notes"]:
        lines.append(f"提示：{plain(note)}")
    return "\n".join(lines)


def format_documents(result: dict, color: bool) -> str:
    """``search --by-document``: a document a block, its matches counted."""
    hl_on, hl_off = _marks(color)
    bold, dim, reset = _styles(color)
    first = (result["page"] - 1) * result["limit"] + 1
    if not result["total"]:
        lines = ["没有找到匹配的段落。"]
    elif result["groups"]:
        lines = [f"共 {result['total']} 段，来自 {result['documents']} 篇文档；第 {first}–{first + len(result['groups']) - 1} 篇："]
    else:  # past the end: say where the end is
        pages = -(-result["documents"] // result["limit"]) if result["limit"] else 1
        lines = [f"共 {result['total']} 段，来自 {result['documents']} 篇文档，每页 {result['limit']} 篇共 {pages} 页；"
                 f"第 {result['page']} 页没有结果，请用 --page 1 到 --page {pages}。"]
    for n, g in enumerate(result["groups"], first):
        lines.append("")
        lines.append(f"{bold}{n}. {plain(g['title'])}{reset}  {g['matches']} 段匹配")
        lines.append(f"   {_where_and_when(g)}  {dim}{shown(g['source'])} · --show {g['doc_id']}{reset}")
        if present.official(g):
            lines.append(f"   {plain(present.official(g))}")
        for h in g["hits"]:
            lines.append(f"   §{h['paragraph']} " + present.excerpt(h, open_mark=hl_on, close_mark=hl_off, quote=plain))
    lines.extend(_facet_lines(result["document_facets"], "（篇）"))
    for note in result["notes"]:
        lines.append(f"提示：{plain(note)}")
    return "\n".join(lines)


def format_table(result: dict, color: bool) -> str:
    """``search --list``: a document a line (date, district, 文种, title,
    paragraphs), then the facet counts in documents."""
    bold, dim, reset = _styles(color)
    first = (result["page"] - 1) * result["limit"] + 1
    pages = -(-result["total"] // result["limit"]) if result["limit"] else 1
    if not result["total"]:
        lines = ["没有符合这些条件的文档。"]
    elif result["documents"]:
        lines = [f"共 {result['total']} 篇文档、{result['paragraphs']} 段；第 {first}–{first + len(result['documents']) - 1} 篇"
                 f"（第 {result['page']}/{pages} 页）："]
    else:
        lines = [f"共 {result['total']} 篇文档，每页 {result['limit']} 篇共 {pages} 页；"
                 f"第 {result['page']} 页没有结果，请用 --page 1 到 --page {pages}。"]
    for n, d in enumerate(result["documents"], first):
        when = d["date"] or (f"{d['year']}年" if d["year"] else "日期不详")
        lines.append(f"{n:>4}. {when:<10} {plain(d['district'] or '—')}  {bold}{plain(d['title'] or d['source'])}{reset}"
                     f"  {d['paragraphs']} 段" + (f"  {plain(d['kind'])}" if d["kind"] else ""))
        if present.official(d):
            lines.append(f"      {dim}{plain(present.official(d))}{reset}")
        lines.append(f"      {dim}{shown(d['source'])} · --show {d['doc_id']}{reset}")
    lines.extend(_facet_lines(result["facets"], "（篇）"))
    for note in result["notes"]:
        lines.append(f"提示：{plain(note)}")
    return "\n".join(lines)


def format_document(doc: dict, color: bool) -> str:
    """``search --show``: the cleaned document, headings where they change,
    every paragraph numbered, the query's matches marked."""
    hl_on, hl_off = _marks(color)
    bold, dim, reset = _styles(color)
    lines = [f"{bold}{plain(doc['title'])}{reset}", f"{_where_and_when(doc)}  {dim}{shown(doc['source'])}{reset}"]
    for label, key in present.OFFICIAL_LABELS:
        value = doc.get(key)
        if value:
            lines.append(f"{label}：{plain('、'.join(value) if isinstance(value, list) else str(value))}")
    if doc.get("url"):
        lines.append(f"原文：{plain(doc['url'])}")
    if present.date_source(doc):
        lines.append(f"日期来源：{present.date_source(doc)}")
    lines.append(f"引用：{plain(present.citation(doc))}")
    matched = sum(1 for p in doc["paragraphs"] if p["matches"])
    lines.append(f"共 {doc['paragraph_count']} 段" + (f"，{matched} 段匹配" if matched else ""))
    section = None
    for p in doc["paragraphs"]:
        path = p["shown_path"]
        if path and path != section:
            lines.append("")
            lines.append(f"{bold}〔{present.heading_path(p, open_mark=hl_on, close_mark=hl_off + bold, quote=plain)}〕{reset}")
        section = path
        lines.append(f"{dim}§{p['paragraph']}{reset} " +
                     present.marked(p["text"], p["spans"], open_mark=hl_on, close_mark=hl_off, quote=plain))
    return "\n".join(lines)


def _print_document(doc: dict, args) -> int:
    """Through the user's pager when stdout is a terminal (``$PAGER``, else
    ``less -R``, which keeps the colours); straight out when piped."""
    import pydoc

    color = _use_color(args)
    text = format_document(doc, color)
    if sys.stdout.isatty() and os.environ.get("TERM") != "dumb":
        if color and not os.environ.get("PAGER"):
            os.environ.setdefault("LESS", "-R")
        pydoc.pager(text)
        return 0
    return write_output("search", lambda: print(text))


def _export_summary(data: dict, fmt: str) -> str:
    """What was written, as the stderr line says it."""
    if "rows" not in data:  # one document's citation
        return f"《{plain(data['title'])}》的引用"
    if fmt in export.CITATION_FORMATS:
        return f"{len({r['doc_id'] for r in data['rows']})} 篇文档的引用"
    return f"{len(data['rows'])} 段"


def _write_export(body, target: str, data: dict, fmt: str) -> int:
    """The file whole or not at all: written beside, then moved into place."""
    if target == "-":
        code = write_output("search", lambda: sys.stdout.write(body.lstrip("\ufeff")))  # a BOM helps a spreadsheet, not a pipe
        if code:
            return code
    else:
        path = Path(target)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_bytes(body if isinstance(body, bytes) else body.encode("utf-8"))
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            return fail("search", f"cannot write {path}: {exc.strerror or exc}")
        print(f"已导出 {_export_summary(data, fmt)}到 {path}" + ("（结果太多，未全部导出）" if data.get("truncated") else ""),
              file=sys.stderr)
    for note in data.get("notes", []):
        print(f"提示：{plain(note)}", file=sys.stderr)
    return 0


def _checked(parser, args) -> tuple[str | None, bool]:
    """Every argument checked (a usage error, exit 2, for one that is
    wrong) and the date options read: ``(export format, whether the export
    is one document's citation)``."""
    from .query.parse import parse_date_span, parse_year

    for y in args.year:
        if parse_year(y) is None:
            parser.error(_("argument --year: expected 2020 or 2018-2021, got {value!r}").format(value=y))
    if args.date and parse_date_span(args.date) is None:
        parser.error(_("argument --date: expected 2021-03-01..2021-06-30, 2021-03 or 2021, got {value!r}")
                     .format(value=args.date))
    if args.since:
        if args.date:
            parser.error(_("choose one of {options}").format(options="--since, --date"))
        if parse_date_span(args.since) is None or ".." in args.since:
            parser.error(_("argument --since: expected a day such as 2026-11-01, got {value!r}").format(value=args.since))
        args.date = parse_date_span(args.since)[0] + ".."
    args.sort = args.sort or ("date" if args.since or args.list else "relevance")
    if args.list and args.sort == "relevance":
        parser.error(_("argument --sort: --list sorts by date, date-asc, title or paragraphs"))
    if not args.list and args.sort in ("title", "paragraphs"):
        parser.error(_("argument --sort: {sort} sorts the --list table only").format(sort=args.sort))
    if args.list and args.query:
        parser.error(_("--list takes no search words (filters only); to search, drop --list or use --by-document"))
    if not 1 <= args.n <= 100:
        parser.error(_("argument -n: expected a number from 1 to 100"))
    if args.page < 1:
        parser.error(_("argument --page: expected 1 or more"))
    for corpus in args.corpus or []:
        if not corpus.is_dir():
            parser.error(_("corpus folder not found: {path}").format(path=corpus))
    if args.query is None and not (args.facets or args.show or args.list):  # typed empty ("") is a query, answered with a note
        parser.error(_("a query is needed (or --list for the documents, --facets for the facet values, --show DOC_ID "
                       "for a document)"))
    export_format = None
    if args.export:
        export_format = "csv" if args.export == "-" else Path(args.export).suffix.lower().lstrip(".")
        if export_format not in export.FORMATS:
            parser.error(_("argument --export: the file must end in .csv, .json, .xlsx, .ris or .bib, not {value!r}")
                         .format(value=args.export))
    cited = bool(args.show and export_format in export.CITATION_FORMATS)  # one document's citation
    modes = [name for name, on in (("--facets", args.facets), ("--by-document", args.by_document), ("--list", args.list),
                                   ("--show", args.show), ("--export", args.export and not cited)) if on]
    if len(modes) > 1:
        parser.error(_("choose one of {options}").format(options=", ".join(modes)))
    if args.export:
        if args.export != "-" and not Path(args.export).resolve().parent.is_dir():
            parser.error(_("argument --export: folder not found: {path}").format(path=Path(args.export).parent))
    if args.show and not re.fullmatch(r"[0-9a-f]{16}", args.show):
        parser.error(_("argument --show: a document id is 16 hex digits (the doc_id of a hit), not {value!r}")
                     .format(value=args.show[:40]))
    return export_format, cited


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.query = " ".join(args.query) if args.query else None  # the words as one query
    settings = engines.settings_from(parser, args)
    from indexer.first_use import ensure_index

    from .service import BadRequest, Options, SearchService

    export_format, cited = _checked(parser, args)
    args.query = args.query or ""
    index_root = index_folder(parser, args.index)
    try:
        ensure_index(parser, index_root, args.corpus, explicit=is_explicit(args.index), settings=settings)
        service = SearchService(engines.open_engine(index_root, settings=settings), settings=settings)
        opts = Options(district=args.district, year=args.year, domain=args.domain, issuer=args.issuer,
                       kind=args.kind, date=args.date, page=args.page, limit=args.n,
                       sort="relevance" if args.list else args.sort, synonyms=not args.no_synonyms)
        if args.show:
            doc = service.document(args.show, args.query)
            if doc is None:
                return fail("search", _("no document {doc_id} in {path}").format(doc_id=args.show, path=index_root))
            if cited:
                return _write_export(export.render(doc, export_format), args.export, doc, export_format)
            return _print_document(doc, args)
        if args.export:
            data = service.export(args.query, opts)
            return _write_export(export.render(data, export_format, args.lang), args.export, data, export_format)
        if args.list:
            result = service.documents(opts, args.sort)
        elif args.facets:
            result = service.overview(args.query, opts)
        elif args.by_document:
            result = service.by_document(args.query, opts)
        else:
            result = service.search(args.query, opts)
    except BadRequest as exc:
        parser.error(str(exc))
    except KeyboardInterrupt:
        return 130
    except IndexDamaged as exc:
        return fail("search", damaged_message(exc, index_root))
    except Exception as exc:  # one line, never a traceback
        return fail("search", str(exc) or type(exc).__name__)
    if args.json:
        shown = result if args.facets or args.list else present.grouped(result) if args.by_document else present.contract(result)
        text = json.dumps(shown, ensure_ascii=False, indent=2)
    elif args.facets:
        text = format_facets(result)
    elif args.list:
        text = format_table(result, _use_color(args))
    elif args.by_document:
        text = format_documents(result, _use_color(args))
    else:
        text = format_human(result, _use_color(args))
    return write_output("search", lambda: print(text))


if __name__ == "__main__":
    sys.exit(main())
