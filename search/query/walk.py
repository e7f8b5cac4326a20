"""The by-document view's order: documents in the order of their best
paragraph, found by walking the ranked paragraphs."""
from __future__ import annotations

from ..engine import SearchRequest

WALK_MAX = 10_000  # ranked paragraphs the by-document view reads to order documents


def walk(engine, tree, filters, sort, counted, wanted: int, snippets: int, preferred: tuple = (),
         time_limit: float | None = None):
    """(documents in order of first appearance, each one's hits seen) from
    the ranked paragraphs, fetched in growing batches until the first
    ``wanted`` documents each have their snippets (or ``WALK_MAX``).
    The hits come without their tokens (thousands may be read to show
    twenty): the few shown are marked by analysing their text again,
    with the analyzer that made the index's tokens."""
    # one batch is usually enough: Whoosh scores every match whatever the
    # batch, tantivy reads only the batch's records (without tokens)
    batch = max(200, wanted * 20)
    enough = None  # the batch that held the wanted documents: their second excerpts are looked for
    while True:  # in at most four times as many paragraphs (a document's second-best may rank far down)
        batch = min(batch, WALK_MAX, counted.total)
        r = engine.search(SearchRequest(query=tree, filters=filters, limit=batch, sort=sort, facets=False, time_limit=time_limit, light=True,
                                             preferred=preferred))
        order: list[str] = []
        best: dict[str, list] = {}
        for h in r.hits:
            seen = best.setdefault(h.doc.doc_id, [])
            if not seen:
                order.append(h.doc.doc_id)
            seen.append(h)
        if len(order) >= wanted and enough is None:
            enough = batch
        done = len(order) >= wanted and (batch >= enough * 4 or all(
            len(best[d]) >= min(snippets, counted.documents.get(d, 1)) for d in order[:wanted]))
        if done or batch >= min(WALK_MAX, counted.total):
            return order, best
        batch *= 5
