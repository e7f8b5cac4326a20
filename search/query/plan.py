"""Planning: what a typed query asks the engine, and what it asks again
when the answer is thinner than a page.

A query is parsed (``parse``), its filler words set aside (``fillers``),
pinyin and places typed in it read (``pinyin``, the district facet), a word
the index has never seen replaced by its known parts, aliases added
(``aliases``); then it is run, and a thin answer read again (``reading``:
exact characters, words apart, starts of words, typos, partial matches).
A ``Planner`` is made per request with the engine live then (an index may
switch engines between two requests).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .. import analysis
from ..engine import AllOf, AnyOf, Filters, Phrase, SearchRequest, Term, iter_terms
from ..facets import LABELS, TAXONOMY, as_indexed, canonical_district
from . import reading as relax
from .aliases import expand_aliases, load_aliases
from .completion import completions
from .fillers import fillers_note, set_aside_fillers
from .options import Options
from .parse import exact_runs, loosen, parse, sequences
from .pinyin import looks_like_pinyin, table as pinyin_table

# a filter value the index does not hold: what the note calls the facet, and
# how many of the values there are it lists (an archive has hundreds of issuers)
UNKNOWN_LABELS = {**LABELS, "domain": "改革领域"}
KNOWN_LISTED = 30
PREFIX_WORDS = 30  # the most used words a trailing * stands for
PREFIX_NAMED = 8  # of which its note names


@dataclass
class Executed:
    """A query as run: the tree that answered (the typed one, or a reading
    of it), the engine's result, the tree whose paragraphs rank first (a
    partial answer's strict part) and the links that undo a correction."""

    tree: object
    result: object
    preferred: tuple = ()
    links: list = field(default_factory=list)
    notes: list = field(default_factory=list)  # what the reading says of itself


class Planner:
    def __init__(self, engine, time_limit: float | None = None):
        self.engine = engine
        self.time_limit = time_limit

    def execute(self, tree, filters, notes, page, limit, sort, facets, documents: bool = False,
                 pivot: bool = False, parsed=None, q: str = "") -> "Executed":
        """Run the query; when it finds less than a page (``reading``), read
        it again: runs typed without spaces (政府采购) found nowhere as runs
        are looked for word by word; then the starts of words and typos;
        then paragraphs holding most of the query's weight after those
        holding all of it. A reading is kept only when it finds more, and a
        note says which."""
        literal = self.literal(tree, parsed)  # the words as typed, synonyms aside: ranked first

        def run(t, preferred=()):
            return self.engine.search(SearchRequest(
                query=t, filters=filters, page=page, limit=limit, sort=sort, facets=facets, time_limit=self.time_limit,
                documents=documents, pivot=pivot, preferred=preferred + literal))

        result = run(tree)
        done = Executed(tree, result, preferred=literal)
        if tree is None or result.total >= relax.RELAX_BELOW:
            return done
        runs = sequences(tree)
        if runs:  # a run found rarely as its words: also where its characters stand as typed
            exact = exact_runs(tree)
            typed_literal, literal = literal, tuple(exact_runs(t) for t in literal)
            found = run(exact)
            if found.total > result.total:
                tree, result = exact, found
                done = Executed(tree, result, preferred=literal)
            else:  # not kept: the readings below prefer the words as typed, not their characters
                literal = typed_literal
        if runs and result.total < relax.RELAX_BELOW:  # its words anywhere, the runs first
            loose = loosen(tree)
            first = (tree,) if result.total else ()
            relaxed = run(loose, preferred=first)
            if relaxed.total > result.total:
                quoted = "、".join(f"“{r}”" for r in runs)
                said = (f"没有段落连续出现{quoted}，改为查找分别包含其中各词的段落。" if not result.total else
                        f"连续出现{quoted}的段落 {result.total} 段；以下 {relaxed.total - result.total} 段分别包含其中各词。")
                done = Executed(loose, relaxed, preferred=first + literal, notes=[said])
        counts = relax.Counts(self.engine, filters)
        typed = getattr(parsed, "typed", None)
        if typed == tree and len(tree.items) == 1 and not tree.exclude and not done.notes:
            counts.know(tree.items[0], result.total)  # the one word typed, as searched
        if done.result.total < relax.RELAX_BELOW and isinstance(typed, AllOf):
            again = relax.reread(typed, self.engine, counts, q)
            if again.replaced:
                scratch: list[str] = []
                reread_tree = self.resolve(relax.replace_items(typed, again.replaced), scratch,
                                            getattr(parsed, "synonyms", True))
                better = run(reread_tree)
                if better.total > done.result.total or (better.total == done.result.total and not better.total):
                    done = Executed(reread_tree, better, preferred=literal, links=again.links, notes=again.notes)
        if done.result.total < relax.RELAX_BELOW and isinstance(done.tree, AllOf):
            def total():  # every paragraph, for the idf
                return self.engine.search(SearchRequest.counting(None)).total
            loosened = relax.partial(done.tree, counts, total)
            if loosened is not None:
                loose, rarest = loosened
                wider = run(loose, preferred=(done.tree,))
                if wider.total > done.result.total:
                    strict = done.result.total
                    done = Executed(loose, wider, preferred=(done.tree,) + literal, links=done.links, notes=done.notes + [
                        f"含全部检索词的段落 {strict} 段；以下 {wider.total - strict} 段只含部分检索词"
                        f"（都含“{rarest}”，按词的稀有程度放宽），分面计数包括两者。"])
        notes.extend(done.notes)
        return done

    def plan(self, q: str, opts: Options):
        """(query tree, filters, notes, parsed query); the parsed query is
        ``None`` when there is nothing to search for (the notes then say so)."""
        parsed = parse(q)
        notes = list(parsed.notes)
        filters = parsed.filters
        filters.year += opts.years
        # the values typed in the query, then the options' (made by Options)
        filters.district = self.known("district", [as_indexed("district", d) for d in filters.district]
                                      + list(opts.districts), notes)
        filters.domain = self.known("domain", [as_indexed("domain", d) for d in filters.domain]
                                    + list(opts.domains), notes)
        filters.issuer = self.known("issuer", [as_indexed("issuer", i) for i in filters.issuer]
                                    + list(opts.issuers), notes)
        filters.kind = self.known("kind", [as_indexed("kind", k) for k in filters.kind] + list(opts.kinds), notes)
        if opts.date_span is not None:  # the option wins over a date: typed in the query
            filters.date = opts.date_span

        tree = parsed.tree
        parsed.places = []
        if tree is not None:
            tree = self.widen_prefixes(tree, parsed, notes)
            tree, removed = set_aside_fillers(tree)
            if removed:
                notes.append(fillers_note(removed))
            tree = self.pinyin(tree, notes)
            tree = self.places(tree, filters, notes, parsed)
            parsed.typed = tree
            parsed.synonyms = opts.synonyms
            # the words as typed, a word the index lacks read as its parts:
            # kept for _literal, so the engine is asked about the words once
            parsed.literal = self.fallback_to_parts(tree, notes)
            tree = self.aliased(parsed.literal, notes) if opts.synonyms else parsed.literal
        if tree is None or (not tree.items and not tree.exclude):
            if filters.is_empty():
                if not notes:
                    notes.append("请输入检索词，例如：放管服、营商环境、强区放权。")
                return None, filters, notes, None
            tree = None  # browse by filters alone
        return tree, filters, notes, parsed

    def widen_prefixes(self, tree, parsed, notes: list[str]):
        """Each word typed with a trailing * (``放管*``) as the indexed words
        that start with it (``completion``), the most used first; one that
        starts no word is searched as typed, and a note says which."""
        widened = {}
        for stem in sorted(getattr(parsed, "prefixes", ())):
            found = [w for w, _ in completions(self.engine, stem, PREFIX_WORDS)]
            if not found:
                notes.append(f"没有以“{stem}”开头的词，已按“{stem}”本身检索。")
                continue
            widened[Term(stem)] = AnyOf(tuple(Term(w) for w in found)) if len(found) > 1 else Term(found[0])
            named = "、".join(found[:PREFIX_NAMED]) + ("等" if len(found) > PREFIX_NAMED else "")
            notes.append(f"“{stem}*”指以“{stem}”开头的词：{named}（{len(found)} 个，按出现的段落数）。")
        return _replace_terms(tree, widened) if widened else tree

    def known(self, facet: str, values: list[tuple[str, bool]], notes: list[str]) -> list[str]:
        """The values as the index holds them (``facets.as_indexed``: 龙华 →
        龙华区, known); a value no vocabulary knows stays, so it matches what
        it says (nothing, or a value a sidecar gave), and a note lists the
        values there are."""
        out, there = [], None
        for value, known in values:
            if not known:
                there = there if there is not None else self.engine.facet_values(facet)
                if value not in there:
                    choices = list(TAXONOMY if facet == "domain" else there)
                    listed = "、".join(choices[:KNOWN_LISTED]) + ("等" if len(choices) > KNOWN_LISTED else "")
                    notes.append(f"没有名为“{value}”的{UNKNOWN_LABELS[facet]}；可选：{listed or '（索引中没有）'}。")
            out.append(value)
        return list(dict.fromkeys(out))

    def literal(self, tree, parsed) -> tuple:
        """``(the query without its synonyms,)`` when synonyms were added,
        else ``()``: its paragraphs rank above those holding only a synonym."""
        literal = getattr(parsed, "literal", None)  # set by _plan with the typed tree
        if not isinstance(tree, AllOf) or not isinstance(literal, AllOf) or not getattr(parsed, "synonyms", True):
            return ()
        return (literal,) if literal != tree and literal.items else ()

    def pinyin(self, tree: AllOf, notes: list[str]) -> AllOf:
        """Pinyin typed for words (fangguanfu, zhengfu caigou, xzfy) read as
        the Chinese word it spells that the index holds most often; a word
        the index holds as typed (an English word in a text) stays."""
        typed = [i for i in tree.items if isinstance(i, Term) and looks_like_pinyin(i.text)]
        if not typed:
            return tree
        known = self.engine.known_terms([i.text for i in typed])
        groups: list[list[Term]] = []  # runs of pinyin words: fang guan fu is one word
        for item in tree.items:
            if item in typed and item.text not in known and groups and groups[-1] and groups[-1][-1] is not None \
                    and tree.items.index(item) == tree.items.index(groups[-1][-1]) + 1:
                groups[-1].append(item)
            elif item in typed and item.text not in known:
                groups.append([item])
        replaced: dict = {}
        table = pinyin_table()
        for group in groups:
            for parts in ([group] if len(group) == 1 else [group] + [[g] for g in group]):
                text = "".join(p.text for p in parts)
                spellings = [table.words(text)] if table.words(text) else \
                    [table.words(piece) for piece in (table.split(text) or [])]
                chosen = [self.most_found(options[:6]) for options in spellings]
                if not chosen or None in chosen:
                    continue
                node = parse(" ".join(chosen)).tree
                if node is None:
                    continue
                replaced[parts[0]] = node.items[0] if len(node.items) == 1 else AllOf(node.items)
                for p in parts[1:]:
                    replaced[p] = None
                notes.append(f"拼音“{' '.join(p.text for p in parts)}”按“{''.join(chosen)}”检索。")
                break
        if not replaced:
            return tree
        items = tuple(replaced.get(i, i) for i in tree.items if replaced.get(i, i) is not None)
        return AllOf(items, tree.exclude, tree.sequence)

    def most_found(self, words: list[str]) -> str | None:
        """Of a pinyin spelling's words, the one the index holds most often."""
        known = self.engine.known_terms([w for w in words if len(analysis.words(w)) == 1])
        counted = [(self.engine.search(SearchRequest.counting(parse(w).tree)).total, w)
                   for w in words if w in known or len(analysis.words(w)) > 1]
        counted = [(n, w) for n, w in counted if n]
        return max(counted)[1] if counted else None

    def places(self, tree: AllOf, filters: Filters, notes: list[str], parsed) -> AllOf:
        """A district typed among the words (放管服 龙华) filters by that
        district, when the word as a word finds less than a page and the
        filter finds more; the page shows it as a chip to remove."""
        if filters.district or len(tree.items) < 2:
            return tree
        for item in tree.items:
            district = canonical_district(item.text) if isinstance(item, Term) else None
            if district is None:
                continue
            rest = AllOf(tuple(i for i in tree.items if i != item), tree.exclude)
            scratch: list[str] = []
            as_word = self.engine.search(SearchRequest.counting(self.resolve(tree, scratch), filters)).total
            if as_word >= relax.RELAX_BELOW:
                continue
            narrowed = filters.without()  # a copy with every other selection kept
            narrowed.district.append(district)
            as_place = self.engine.search(SearchRequest.counting(self.resolve(rest, scratch), narrowed)).total
            if as_place > as_word:
                filters.district.append(district)
                parsed.places.append({"word": item.text, "district": district})
                notes.append(f"“{item.text}”按地区筛选：{district}（去掉“{item.text}”即在全部地区中检索）。")
                return rest
        return tree

    def resolve(self, tree, notes, synonyms: bool = True):
        """Parts only for what the user typed; aliases add whole words only."""
        tree = self.fallback_to_parts(tree, notes)
        return self.aliased(tree, notes) if synonyms else tree

    @staticmethod
    def aliased(tree, notes):
        return expand_aliases(tree, load_aliases(), notes)

    def fallback_to_parts(self, node, notes, known: set[str] | None = None):
        if known is None:  # one question to the engine for every word of the query
            known = self.engine.known_terms(iter_terms(node))
        if isinstance(node, Term):
            if node.text in known:
                return node
            parts = self.cover(node.text)
            if parts:
                notes.append(f"索引中没有“{node.text}”这个词，改为匹配连续出现的组成部分：{'、'.join(parts)}。")
                return Phrase(parts)
            return node
        if isinstance(node, AnyOf):
            return AnyOf(tuple(self.fallback_to_parts(i, notes, known) for i in node.items))
        if isinstance(node, AllOf):
            return AllOf(tuple(self.fallback_to_parts(i, notes, known) for i in node.items), node.exclude,
                         node.sequence)
        return node

    def cover(self, word: str) -> tuple[str, ...]:
        """The word as consecutive pieces the index knows, longest first; empty
        when no such cover exists (then the word simply has no match)."""
        if len(word) < 3:
            return ()
        candidates = {word[i:i + size] for i in range(len(word)) for size in range(1, 5) if i + size <= len(word)}
        known = self.engine.known_terms(candidates - {word})
        pieces: list[str] = []
        i = 0
        while i < len(word):
            for size in range(min(len(word) - i, 4), 0, -1):
                piece = word[i:i + size]
                if piece != word and (size > 1 or not pieces or i == len(word) - 1) and piece in known:
                    pieces.append(piece)
                    i += size
                    break
            else:
                return ()
        return tuple(pieces) if len(pieces) > 1 else ()


def _replace_terms(node, widened: dict):
    """The tree with each word in ``widened`` (as typed, outside phrases)
    replaced, wherever it stands — among the words, in an OR, excluded."""
    if isinstance(node, Term):
        return widened.get(node, node)
    if isinstance(node, AnyOf):
        return AnyOf(tuple(_replace_terms(i, widened) for i in node.items))
    if isinstance(node, AllOf):
        return AllOf(tuple(_replace_terms(i, widened) for i in node.items),
                     tuple(_replace_terms(i, widened) for i in node.exclude), node.sequence, node.chars)
    return node
