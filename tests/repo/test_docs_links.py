"""The design lives in docs/: code, tests and the README cite its sections, every cited file and section exists, and
nothing cites the old, unpublished design or seed documents."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
DOCS = REPOSITORY / "docs"
CITING = [
    *(
        path
        for top in ("workloads", "infra", "tests", "images")
        for path in (REPOSITORY / top).rglob("*")
        if path.is_file()
    ),
    REPOSITORY / "README.md",
    *DOCS.glob("*.md"),
]
CITING = [path for path in CITING if path.suffix in {".py", ".md", ".yaml", ".yml", ".sh", ".Dockerfile", ""}]
FROM_ANYWHERE = re.compile(r"\bdocs/([A-Za-z0-9_-]+\.md)(#[A-Za-z0-9_-]+)?")
FROM_DOCS = re.compile(r"\]\(([A-Za-z0-9_-]+\.md)?(#[A-Za-z0-9_-]+)?\)")


def slug(heading: str) -> str:
    """GitHub's anchor of a Markdown heading: lower case, punctuation but ``-`` and ``_`` dropped, spaces to ``-``."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(doc: Path) -> set[str]:
    headings = [line.lstrip("#").strip() for line in doc.read_text().splitlines() if re.match(r"#{1,6} ", line)]
    return {slug(heading) for heading in headings}


def citations() -> list[tuple[Path, str, str]]:
    found = []
    for path in CITING:
        text = path.read_text(errors="replace")
        found += [(path, name, anchor) for name, anchor in FROM_ANYWHERE.findall(text)]
        if path.parent == DOCS:
            found += [(path, name or path.name, anchor) for name, anchor in FROM_DOCS.findall(text) if name or anchor]
    return found


def test_the_docs_are_cited_from_the_code():
    assert len({(name, anchor) for _, name, anchor in citations()}) >= 20


@pytest.mark.parametrize(("where", "name", "anchor"), citations(), ids=lambda v: str(v)[-60:])
def test_every_cited_doc_and_section_exists(where: Path, name: str, anchor: str):
    doc = DOCS / name
    assert doc.is_file(), f"{where.relative_to(REPOSITORY)} cites docs/{name}, which does not exist"
    if anchor:
        assert anchor[1:] in anchors(doc), f"{where.relative_to(REPOSITORY)} cites docs/{name}{anchor}: no such heading"


def test_nothing_cites_the_unpublished_design_or_seed_documents():
    stale = re.compile("design " + "§|seed " + r"doc \d", re.IGNORECASE)  # split, so this file does not match
    offenders = [
        str(path.relative_to(REPOSITORY))
        for path in CITING
        if path.parent != DOCS and stale.search(path.read_text(errors="replace"))
    ]
    assert offenders == []
