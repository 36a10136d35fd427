"""Comments in src/ cite docs/sync-rules.md, never the product spec that is not in the repository.

Every comment and docstring (every string token, in fact) of ``src/ccsync/**/*.py`` is read with
``tokenize``: none may cite ``PRODUCT``, a bare "rule 12", or an item of the spec's lists
("B3", "S4"); and in a comment or string that says "sync rule", every id such as ``D6`` must
be defined in ``docs/sync-rules.md`` (as a list item starting with ``**D6**``).
"""

from __future__ import annotations

import io
import re
import tokenize
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src" / "ccsync"
RULES_DOC = REPO / "docs" / "sync-rules.md"

DEFINED = re.compile(r"^- \*\*([A-Z]\d+)\*\*", re.MULTILINE)
GROUP_ROW = re.compile(r"^\| \[([A-Z])\]\(#", re.MULTILINE)
CITES_RULES = re.compile(r"sync rules?\b", re.IGNORECASE)
RULE_ID = re.compile(r"\b([A-Z])(\d{1,2})\b")
FORBIDDEN = (
    (re.compile(r"PRODUCT"), "cites PRODUCT (not in the repository)"),
    (re.compile(r"\b[Rr]ules? \d+"), "cites a bare rule number"),
    (re.compile(r"\b[BS]\d{1,2}\b"), "cites an item of the product spec's lists (B<n>/S<n>)"),
)
TEXT_TOKENS = {tokenize.COMMENT, tokenize.STRING}
if hasattr(tokenize, "FSTRING_MIDDLE"):  # Python 3.12+
    TEXT_TOKENS.add(tokenize.FSTRING_MIDDLE)


def texts(source: str) -> list[tuple[int, str]]:
    """(line, text) of every comment and string token of ``source``."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return [(t.start[0], t.string) for t in tokens if t.type in TEXT_TOKENS]


def forbidden_citations(source: str) -> list[tuple[int, str, str]]:
    """(line, problem, matched text) of each citation of the product spec in ``source``."""
    out = []
    for line, text in texts(source):
        for pattern, problem in FORBIDDEN:
            out += [(line, problem, m.group(0)) for m in pattern.finditer(text)]
    return out


def cited_ids(source: str, groups: set[str]) -> list[tuple[int, str]]:
    """(line, id) of every sync-rule id in a comment or string that cites sync rules."""
    out = []
    for line, text in texts(source):
        if CITES_RULES.search(text):
            out += [(line, m.group(0)) for m in RULE_ID.finditer(text) if m.group(1) in groups]
    return out


def defined_ids(doc: str) -> list[str]:
    """The rule ids ``doc`` defines, in order (duplicates kept)."""
    return DEFINED.findall(doc)


def rule_groups(doc: str) -> set[str]:
    """The group letters of the table at the top of ``doc``."""
    return set(GROUP_ROW.findall(doc))


def _sources() -> list[tuple[Path, str]]:
    return [(p, p.read_text(encoding="utf-8")) for p in sorted(SRC.rglob("*.py"))]


def test_no_comment_in_src_cites_the_product_spec() -> None:
    found = [
        f"{path.relative_to(REPO)}:{line}: {problem}: {text!r}"
        for path, source in _sources()
        for line, problem, text in forbidden_citations(source)
    ]
    assert found == [], "cite docs/sync-rules.md ids instead:\n" + "\n".join(found)


def test_every_sync_rule_cited_in_src_is_defined() -> None:
    doc = RULES_DOC.read_text(encoding="utf-8")
    defined, groups = set(defined_ids(doc)), rule_groups(doc)
    cited = [
        (path, line, rule_id)
        for path, source in _sources()
        for line, rule_id in cited_ids(source, groups)
    ]
    unknown = [f"{p.relative_to(REPO)}:{line}: {i}" for p, line, i in cited if i not in defined]
    assert unknown == [], "not defined in docs/sync-rules.md:\n" + "\n".join(unknown)
    assert len({i for *_, i in cited}) >= 20, "the engine's comments cite the sync rules"


def test_rule_ids_are_unique_and_belong_to_a_group() -> None:
    doc = RULES_DOC.read_text(encoding="utf-8")
    ids, groups = defined_ids(doc), rule_groups(doc)
    assert len(groups) >= 8 and len(ids) >= 50
    assert [i for i, n in Counter(ids).items() if n > 1] == []
    assert sorted({i[0] for i in ids}) == sorted(groups)
    for group in groups:
        numbers = [int(i[1:]) for i in ids if i[0] == group]
        assert numbers == list(range(1, len(numbers) + 1)), (group, numbers)


def test_the_checks_see_comments_and_docstrings_but_not_code() -> None:
    source = (
        '"""Docstring citing PRODUCT 3.3 rule 13 and B3."""\n'
        "method = 'S256'  # PKCE, not a citation\n"
        "x = 1  # rules 1–5, then (sync rule D6) and (sync rule Z9), C1–C4 of sync rules\n"
        "S4 = 2\n"
    )
    problems = [(line, text) for line, _, text in forbidden_citations(source)]
    assert problems == [(1, "PRODUCT"), (1, "rule 13"), (1, "B3"), (3, "rules 1")]
    assert cited_ids(source, {"C", "D", "Z"}) == [(3, "D6"), (3, "Z9"), (3, "C1"), (3, "C4")]
    doc = "| [D](#d) | deletion |\n\n- **D1** — one\n- **D2** — two\n  **D3** is no definition\n"
    assert defined_ids(doc) == ["D1", "D2"] and rule_groups(doc) == {"D"}
