"""The facet vocabularies: administrative units (``data/units.tsv``) and
DESIGN's reform-domain taxonomy, and how a value a user types becomes the
value the index holds.

The indexer names a document's district in full simplified form (龙华区); a
researcher types 龙华, 龍華區 or 深圳市龙华区. A filter that silently matches
nothing misleads worse than an error, so every form the units file knows
resolves to its full name, and a value nobody knows gets a note that lists the
values there are.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import analysis, config

LABELS = {"district": "地区", "year": "年份", "domain": "领域", "issuer": "发文机关", "kind": "文种"}  # as users read them
TAXONOMY = ("经济", "政府职能", "民主法治", "文化", "社会民生", "基层治理", "生态文明", "党的建设", "纪检监察", "综合")
LEVEL_RANK = {"district": 0, "city": 1, "province": 2, "national": 3}
# A filter value is a unit's name typed without its level (光明 for 光明区).
# The units file leaves out such short names when they are ordinary words
# (光明), which would miscount a document's mentions; a filter is no mention.
FILTER_SUFFIXES = ("区", "新区", "市", "省")


@dataclass(frozen=True)
class Unit:
    name: str
    level: str
    names: tuple[str, ...]


@lru_cache(maxsize=4)
def load_units(path: Path | None = None) -> tuple[Unit, ...]:
    path = Path(path or config.units_file())
    units = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) < 2 or cols[1] not in LEVEL_RANK:
            raise ValueError(f"{path}:{number}: expected 'name<TAB>district|city|province|national<TAB>aliases'")
        aliases = [a.strip() for a in cols[2].split(",")] if len(cols) > 2 else []
        names = tuple(dict.fromkeys([cols[0].strip()] + [a for a in aliases if a]))
        units.append(Unit(cols[0].strip(), cols[1], names))
    return tuple(units)


@lru_cache(maxsize=4)
def _names(units: tuple[Unit, ...]) -> dict[str, str]:
    """Every name and short name → the unit's full name."""
    table: dict[str, str] = {}
    for unit in units:
        for name in unit.names:
            table.setdefault(name, unit.name)
    return table


def canonical_district(value: str, units: tuple[Unit, ...] | None = None) -> str | None:
    """The full name of the unit ``value`` names — 龙华, 龍華區, 深圳市龙华区
    and 广东省深圳市龙华区 are all 龙华区 — or None when the units file does
    not know it. A prefix counts only when it is itself made of unit names,
    so 新龙华 is not 龙华区."""
    return _district(analysis.to_simplified(value).strip().replace(" ", ""),
                     _names(units if units is not None else load_units()))


def _district(text: str, table: dict[str, str]) -> str | None:
    for name in (text, *(text + level for level in FILTER_SUFFIXES)):
        if name in table:
            return table[name]
    for cut in range(1, len(text)):
        if text[cut:] in table and _made_of_names(text[:cut], table):
            return table[text[cut:]]
    return None


def _made_of_names(text: str, table: dict[str, str]) -> bool:
    if not text:
        return True
    return any(text[:end] in table and _made_of_names(text[end:], table) for end in range(len(text), 0, -1))


def as_indexed(facet: str, value: str) -> tuple[str, bool]:
    """A filter value as the index holds it, and whether a vocabulary knows
    it: a district's full name (龙华, 龍華 → 龙华区), a domain of the
    taxonomy; else the value as typed, in simplified script (it matches
    what it says: nothing, or a value a sidecar gave). A value already in
    its indexed form is taken as it is, without converting it again."""
    if facet == "district":
        table = _names(load_units())
        if table.get(value) == value:  # a unit's full name, as the index holds it
            return value, True
        text = analysis.to_simplified(value)
        known = _district(text.strip().replace(" ", ""), table)
    elif facet == "domain":
        if value in TAXONOMY:
            return value, True
        text = analysis.to_simplified(value)
        known = text.strip() if text.strip() in TAXONOMY else None
    else:  # an issuer or a 文种: as the index holds it, simplified; the index's own values tell if it is there
        text = analysis.to_simplified(value).strip()
        known = text if facet == "kind" and text in kind_labels() else None
    return (known, True) if known is not None else (text, False)


def kind_labels() -> tuple[str, ...]:
    """The 文种 the indexer gives (``data/kinds.txt``'s first column)."""
    return tuple(kind for kind, _ in kinds())


def kinds() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``data/kinds.txt``: each 文种 and the name endings that give it, read
    once per change of the file (the indexer's ``official.find_kind`` reads
    the endings, a filter the labels)."""
    path = config.data_dir() / "kinds.txt"
    try:
        return _kinds(path, path.stat().st_mtime_ns)
    except OSError:
        return ()


@lru_cache(maxsize=4)
def _kinds(path: Path, stamp: int) -> tuple[tuple[str, tuple[str, ...]], ...]:
    rows: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "\t" in line:
            kind, ends = line.split("\t", 1)
            rows.setdefault(kind.strip(), []).extend(end.strip() for end in ends.split(",") if end.strip())
    return tuple((kind, tuple(ends)) for kind, ends in rows.items())
