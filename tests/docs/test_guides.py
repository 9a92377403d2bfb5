"""Every code block marked `<!-- runnable -->` in the documentation runs (see `tests/docs/blocks.py`)."""

from __future__ import annotations

import pytest

from tests.docs.blocks import DOCS, ROOT, pages_with_runnable_blocks, run_page, runnable_blocks

PAGES = pages_with_runnable_blocks()


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(DOCS).as_posix() for p in PAGES])
def test_runnable_blocks_of_page_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # blocks that write files write them here
    run_page(page)


def test_the_guides_have_runnable_blocks():
    guides = {p.relative_to(DOCS).as_posix() for p in PAGES}
    for page in (
        "index.md",
        "getting-started.md",
        "guides/reproducibility.md",
        "guides/mixing.md",
        "guides/audio.md",
        "guides/adaptive.md",
    ):
        assert page in guides, f"docs/{page} has no runnable block"


def test_marker_convention_is_enforced(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "# t\n\n<!-- runnable -->\n```python\nx = 1\n```\n\n```python\nnot run\n```\n\n"
        "<!-- runnable -->\n```py\ny = x + 1\n```\n"
    )
    blocks = runnable_blocks(page)
    assert [b.code for b in blocks] == ["x = 1\n", "y = x + 1\n"]
    assert [b.line for b in blocks] == [5, 14]
    page.write_text("<!-- runnable -->\n```bash\nmake test\n```\n")
    with pytest.raises(ValueError, match="python fence"):
        runnable_blocks(page)
    page.write_text("<!-- runnable -->\n```python\nx = 1\n")
    with pytest.raises(ValueError, match="unclosed"):
        runnable_blocks(page)


def test_a_failing_block_names_page_and_line(tmp_path, monkeypatch):
    monkeypatch.setattr("tests.docs.blocks.ROOT", tmp_path)
    page = tmp_path / "page.md"
    page.write_text("<!-- runnable -->\n```python\nx = 1\n```\n<!-- runnable -->\n```python\nassert x == 2\n```\n")
    with pytest.raises(AssertionError, match=r"page\.md:7"):
        run_page(page)


def test_root_is_the_repository():
    assert (ROOT / "mkdocs.yml").is_file() and DOCS == ROOT / "docs"
