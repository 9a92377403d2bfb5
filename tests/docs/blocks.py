"""Find the runnable code blocks of the documentation pages.

Convention (documented in `docs/contributing-docs.md`): a fenced ```` ```python ```` block is run by the
test suite when the line right before its opening fence is the HTML comment `<!-- runnable -->` (invisible in
the rendered page). The runnable blocks of one page run in order, in one fresh namespace, like the cells of a
notebook: a later block may use what an earlier one defined. Blocks without the marker are shown, not run
(placeholders such as `my_dataset`, or heavy training stacks whose tested example files are included instead).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
MARKER = "<!-- runnable -->"

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^\n`]*)$")


class Block(NamedTuple):
    """One runnable block: the page, the line of its first code line (1-based) and its code."""

    page: Path
    line: int
    code: str


def runnable_blocks(page: Path) -> list[Block]:
    """The runnable python blocks of a Markdown page, in order.

    Raises:
        ValueError: a marker is not followed by a python fence, or a fence is never closed.
    """
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        if lines[i].strip() != MARKER:
            i += 1
            continue
        j = i + 1
        m = _FENCE.match(lines[j]) if j < len(lines) else None
        language = m.group("info").split()[0].strip("{}.") if m is not None and m.group("info").split() else ""
        if m is None or language not in ("python", "py"):
            raise ValueError(f"{page}:{i + 1}: {MARKER} must be followed directly by a ```python fence")
        indent, fence = m.group("indent"), m.group("fence")
        body: list[str] = []
        k = j + 1
        while k < len(lines) and not lines[k].strip().startswith(fence):
            line = lines[k]
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip())
            k += 1
        if k == len(lines):
            raise ValueError(f"{page}:{j + 1}: unclosed code fence")
        blocks.append(Block(page, j + 2, "\n".join(body) + "\n"))
        i = k + 1
    return blocks


def pages_with_runnable_blocks() -> list[Path]:
    """Every page under `docs/` with at least one runnable block."""
    return sorted(p for p in DOCS.rglob("*.md") if MARKER in p.read_text(encoding="utf-8"))


def run_page(page: Path) -> dict:
    """Run the runnable blocks of `page` in order in one namespace; returns the namespace.

    A failing block re-raises with the page and line of the block in the message.
    """
    namespace: dict = {"__name__": "__docs__"}
    for block in runnable_blocks(page):
        try:
            # Leading newlines keep the line numbers of tracebacks equal to the page's.
            exec(compile("\n" * (block.line - 1) + block.code, str(block.page), "exec"), namespace)
        except Exception as exc:
            raise AssertionError(
                f"runnable block at {block.page.relative_to(ROOT)}:{block.line} failed: {exc!r}"
            ) from exc
    return namespace
