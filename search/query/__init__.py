"""The query side: what a researcher types, read as meant.

``parse`` (the language), ``aliases``, ``fillers`` (words that name no
topic), ``pinyin``, ``lexicon`` (the dictionary's words, for starts and
typos), ``reading`` (a thin answer read again), ``plan`` (all of that in
order, and the engine asked), ``suggest`` (what to try when nothing
matched), ``walk`` (the by-document order) and ``options`` (what a search
asks beside its words). ``search.service`` orchestrates them and shapes
the answer.
"""
