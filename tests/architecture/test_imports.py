"""The shape of the code: imports flow one way, and no module grows past a size a reader
can hold in their head.

**What counts as an import.** Every ``import`` and ``from … import`` anywhere in a module:
at the top, inside a function (deferred so that a heavy module loads only when used), and
under ``if TYPE_CHECKING:``.  Deferring an import changes *when* a module loads, not what it
depends on: ``a`` importing ``b`` inside a function while ``b`` imports ``a`` is still two
modules that cannot be understood, tested or moved apart, so it is a cycle here too.  Break
one by moving what both need into a third module that imports neither.  A package counts as
its ``__init__`` module.  The graph is built by grimp (the library import-linter uses), which
reads the source without importing it.
"""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest

import leds

PACKAGE = "leds"
SRC = Path(leds.__file__).resolve().parent
MAX_LINES = 600


def import_cycles(graph: grimp.ImportGraph) -> list[tuple[str, ...]]:
    """One shortest cycle through each import that is part of one, each cycle listed once."""
    found: dict[frozenset[str], tuple[str, ...]] = {}
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back is not None:
                cycle = (importer, *back)
                found.setdefault(frozenset(cycle), cycle)
    return sorted(found.values())


def test_import_cycles_are_found_when_there_are_some() -> None:
    graph = grimp.ImportGraph()
    for name in ("p", "p.a", "p.b", "p.c", "p.d"):
        graph.add_module(name)
    graph.add_import(importer="p.a", imported="p.b")
    graph.add_import(importer="p.b", imported="p.c")
    graph.add_import(importer="p.c", imported="p.a")  # a -> b -> c -> a
    graph.add_import(importer="p.d", imported="p.a")  # leads into the cycle, not part of it
    assert import_cycles(graph) == [("p.a", "p.b", "p.c", "p.a")]


def test_an_import_inside_a_function_makes_a_cycle_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = tmp_path / "cyclic"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from cyclic import b\n")
    (pkg / "b.py").write_text("def later():\n    from cyclic import a\n    return a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles(grimp.build_graph("cyclic", cache_dir=None)) == [("cyclic.a", "cyclic.b", "cyclic.a")]


def test_src_leds_has_no_import_cycle_even_through_imports_inside_functions() -> None:
    graph = grimp.build_graph(PACKAGE, cache_dir=None)
    assert "leds.web.pages" in graph.modules  # the graph is of this source tree, not an empty one
    cycles = import_cycles(graph)
    assert not cycles, "import cycles in src/leds:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_no_module_in_src_leds_is_over_600_lines() -> None:
    sizes = {p.relative_to(SRC.parent).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
             for p in SRC.rglob("*.py")}
    assert len(sizes) > 50  # every module was read
    too_long = sorted(f"{path}: {n} lines" for path, n in sizes.items() if n > MAX_LINES)
    assert not too_long, f"modules over {MAX_LINES} lines (split them by what they do):\n" + "\n".join(too_long)


def test_the_service_starts_without_the_analytics_libraries() -> None:
    """A serving process loads what a look-up needs; the analytics libraries (DuckDB, Arrow,
    pandas, scikit-learn, PyTorch) load when a report, a model or a search of documents first
    needs them.  Loaded at start, they cost every worker memory and start-up time (measured:
    93 MB and no such library before the new domains, 281 MB with them loaded at import)."""
    import subprocess
    import sys

    code = ("import sys, tempfile, pathlib\n"
            "from leds.app import create_app\n"
            "from leds.config import Settings\n"
            "create_app(Settings(home=pathlib.Path(tempfile.mkdtemp())))\n"
            "print(' '.join(m for m in ('duckdb', 'pyarrow', 'pandas', 'sklearn', 'scipy', 'torch', 'splink')"
            " if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
