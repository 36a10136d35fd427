"""No import circle among ccsync's modules (issue 12 item 3).

The graph is grimp's (what import-linter reads): every ``import`` counts, at module level, inside
functions (deferred) or under ``TYPE_CHECKING``, so a circle cannot hide in a function body. The
``no-cycles`` contract of ``lint-imports`` says the same between siblings; this test also holds
without it and names the modules of each circle.
"""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest


def import_cycles(package: str) -> list[list[str]]:
    """One circle per strongly connected group of ``package``'s modules, as an import chain.

    Each chain starts and ends at the same module (``a → b → … → a``); none means no circle.
    """
    graph = grimp.build_graph(package, cache_dir=None)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    cycles = []
    for group in _strongly_connected(edges):
        if len(group) > 1 or group[0] in edges[group[0]]:
            cycles.append(_one_cycle(edges, set(group), min(group)))
    return sorted(cycles)


def _strongly_connected(edges: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (the graph has hundreds of modules)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            for offset, nxt in enumerate(edges[node][position:], start=position):
                if nxt not in index:
                    work.append((node, offset + 1))
                    work.append((nxt, 0))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    groups.append(sorted(group))
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
    return groups


def _one_cycle(edges: dict[str, list[str]], group: set[str], start: str) -> list[str]:
    """The shortest chain from ``start`` back to itself inside ``group`` (breadth first)."""
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in edges[node]:
                if nxt == start:
                    chain = [node]
                    while chain[-1] != start:
                        chain.append(came_from[chain[-1]])
                    return [*reversed(chain), start]
                if nxt in group and nxt not in came_from:
                    came_from[nxt] = node
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"no circle through {start}")  # the group is cyclic: never reached


def test_ccsync_has_no_import_circle() -> None:
    cycles = import_cycles("ccsync")
    assert not cycles, "import circles:\n" + "\n".join(" → ".join(c) for c in cycles)


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_a_circle_hidden_in_a_function_is_found_and_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, {
        "circled/__init__.py": "",
        "circled/a.py": "from circled import b\n",
        "circled/b.py": "def later() -> None:\n    from circled import c\n",
        "circled/c.py": "import typing\nif typing.TYPE_CHECKING:\n    import circled.a\n",
        "circled/d.py": "import circled.a\n",
        "circled/e.py": "import circled.e\n",
    })  # fmt: skip
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles("circled") == [
        ["circled.a", "circled.b", "circled.c", "circled.a"],
        ["circled.e", "circled.e"],
    ]


def test_no_circle_no_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, {
        "tree/__init__.py": "from tree import a\n",
        "tree/a.py": "from tree import b\n",
        "tree/b.py": "def later() -> None:\n    from tree import c\n",
        "tree/c.py": "import json\n",
    })  # fmt: skip
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles("tree") == []
