"""User-facing pages speak about the library as it is: no project-management or history wording.

History belongs in CHANGELOG.md (included by docs/changelog.md, which is exempt).
"""

from __future__ import annotations

import re

import pytest

from tests.docs.blocks import DOCS, ROOT

BANNED = [
    r"\bissues?\b",
    r"\btargets? (?:is |was |are )?(?:not )?met\b",
    r"\bnot met\b",
    r"\bbefore this (?:work|change|pass)\b",
    r"\btargets? from the\b",
    r"\.\./shared",
    r"\bseed notebook\b",
]
PAGES = [ROOT / "README.md"] + sorted(p for p in DOCS.rglob("*.md") if p.name != "changelog.md")


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_no_history_wording(page):
    hits = []
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        hits += [
            f"{number}: {m.group(0)!r} in {line.strip()[:100]}" for p in BANNED for m in re.finditer(p, line, re.I)
        ]
    assert not hits, f"{page.relative_to(ROOT)}:\n" + "\n".join(hits)


def test_banned_patterns_catch_history():
    for text in ("Targets from the issue", "target met", "not met for float32", "before this work: 7.9x"):
        assert any(re.search(p, text, re.I) for p in BANNED), text
