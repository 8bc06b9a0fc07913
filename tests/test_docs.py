"""The documentation a newcomer reads: short enough, and every link and file it names exists.

README.md is the first hour (at most 300 lines); the internals live in docs/. A renamed module or a
moved section breaks a link or a path silently; these tests make it fail here instead.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
# `provider/x.py`, `tests/support/y.py`, `templates/z.yaml`, ... in backticks: a path in this repository
PATH = re.compile(r"`((?:provider|tests|templates|schema|scripts|bench)/[A-Za-z0-9_./-]+?)`")


def _anchors(page: Path) -> set[str]:
    """GitHub's anchors of the page's headings: lower case, punctuation dropped, spaces to '-'."""
    out = set()
    for line in page.read_text().splitlines():
        if line.startswith("#") and not line.startswith("#!"):
            title = line.lstrip("#").strip().lower()
            out.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return out


def test_readme_is_a_first_hour_not_a_manual():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 300, f"README.md has {len(lines)} lines; move detail to docs/"
    text = "\n".join(lines)
    for needed in ("make demo", "make test", "## Quick start on AWS", "### Properties", "### Attributes",
                   "CHANGELOG.md", "LICENSE"):
        assert needed in text, needed


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page):
    broken = []
    in_code = False
    for number, line in enumerate(page.read_text().splitlines(), 1):
        if line.startswith("```"):
            in_code = not in_code
        if in_code:
            continue
        for target in LINK.findall(line):
            if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
                continue
            file, _, anchor = target.partition("#")
            where = (page.parent / file).resolve() if file else page
            if not where.exists():
                broken.append(f"{page.name}:{number}: {target} (no such file)")
            elif anchor and where.suffix == ".md" and anchor not in _anchors(where):
                broken.append(f"{page.name}:{number}: {target} (no such heading)")
    assert broken == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_repository_path_named_exists(page):
    missing = []
    for number, line in enumerate(page.read_text().splitlines(), 1):
        for path in PATH.findall(line):
            path = path.rstrip(".")
            if "*" in path or "<" in path or path.startswith("provider/_"):  # globs; the wheel's own folders
                continue
            if not (ROOT / path).exists():
                missing.append(f"{page.name}:{number}: {path}")
    assert missing == []


def test_example_template_does_not_turn_adopt_existing_on():
    text = (ROOT / "templates" / "example.yaml").read_text()
    live = [line for line in text.splitlines() if "AdoptExisting" in line and not line.lstrip().startswith("#")]
    assert live == []
