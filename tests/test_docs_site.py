"""The manual holds together without building it: every page is in the navigation, and
every link between the README, the manual and the other top-level documents leads to a
file that exists (`make docs` checks the rest with `mkdocs build --strict`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
TOP_LEVEL = ["README.md", "CONTRIBUTING.md", "CHANGELOG.md", "ARCHITECTURE.md"]
# A Markdown link to a local file: [text](path.md) or [text](path.md#anchor).
LOCAL_LINK = re.compile(r"\]\((?!https?:|mailto:|#)([^)\s#]+)(#[^)\s]*)?\)")


def test_every_page_is_in_the_navigation():
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    in_nav = set(re.findall(r":\s*([\w-]+\.md)\s*$", config, flags=re.MULTILINE))
    pages = {page.name for page in DOCS.glob("*.md")}
    assert pages == in_nav


@pytest.mark.parametrize(
    "document",
    [*TOP_LEVEL, *(f"docs/{page.name}" for page in sorted(DOCS.glob("*.md")))],
)
def test_local_links_lead_to_files(document: str):
    source = ROOT / document
    broken = [
        target
        for target, _anchor in LOCAL_LINK.findall(source.read_text(encoding="utf-8"))
        if not (source.parent / target).exists()
    ]
    assert not broken, f"{document} links to missing files: {broken}"
