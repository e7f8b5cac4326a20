"""The house's arrows: data flows files → clean text → chunks → index → hits →
CLI/web, and a library module never reaches up into a command.

Read from the source (``ast``), so a function-level import counts as much as
one at the top of a module.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("search", "indexer", "web")
COMMANDS = {"search.cli", "search.cliutil", "indexer.cli", "web.cli"}


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


def _imports(name: str, path: Path) -> set[str]:
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return found


def test_no_library_module_imports_a_command():
    modules = _modules()
    offenders = {}
    for name, path in modules.items():
        if name in COMMANDS or name.endswith(".__main__"):
            continue
        reached = {i for i in _imports(name, path) if i in COMMANDS}
        if reached:
            offenders[name] = sorted(reached)
    assert not offenders, f"library modules importing a command's module: {offenders}"


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        graph[name] = {i for i in _imports(name, path) if i in modules and i != name}
    return graph


def test_no_import_cycles():
    """Not even through a function-level import: a cycle hidden that way is
    still two modules that cannot be understood one without the other."""
    graph = _graph()
    cycles, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert not cycles, "import cycles: " + "; ".join(" → ".join(c) for c in cycles)


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def test_only_the_engines_package_names_an_engine():
    """Adding an engine is its module and its registry entry
    (search/CONTRACT.md): no code elsewhere in the product names one, in a
    string or in a name (prose — comments, docstrings — may)."""
    import re

    from search.engines import ENGINES

    engines = {name.lower() for name in ENGINES}
    offenders = []
    for name, path in _modules().items():
        if name == "search.engines" or name.startswith("search.engines."):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        prose = _docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose:
                text = node.value
            elif isinstance(node, ast.Name):
                text = node.id
            elif isinstance(node, ast.Attribute):
                text = node.attr
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                text = " ".join([getattr(node, "module", None) or ""] + [a.name for a in node.names])
            else:
                continue
            named = engines.intersection(re.findall(r"[a-z]+", text.lower()))
            if named:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} names {', '.join(sorted(named))}")
    assert not offenders, offenders


def test_the_search_library_never_reaches_up_into_the_indexer():
    """files → chunks (``indexer``) → index → hits (``search``): the
    indexer uses the search library, never the other way round. A command
    sits above both and may use either (the first-use build is the
    indexer's, ``indexer.first_use``)."""
    offenders = {}
    for name, path in _modules().items():
        if name in COMMANDS or not name.startswith(("search", "web")):
            continue
        reached = sorted(i for i in _imports(name, path) if i == "indexer" or i.startswith("indexer."))
        if reached:
            offenders[name] = reached
    assert not offenders, f"library modules importing the indexer: {offenders}"


def test_every_package_is_shipped_by_a_plain_install():
    """``pip install .`` (not editable) installs what ``setup.cfg``'s
    package patterns name: a new subpackage they miss (``search.engines``
    was one) works in every editable checkout and is missing from a real
    install."""
    import configparser
    from fnmatch import fnmatchcase

    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    patterns = cfg.get("options.packages.find", "include").split()
    packages = {name for name, path in _modules().items() if path.name == "__init__.py"}
    missing = sorted(p for p in packages if not any(fnmatchcase(p, pat) for pat in patterns))
    assert not missing, f"packages setup.cfg does not ship: {missing}"
