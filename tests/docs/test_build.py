"""The documentation site builds with `mkdocs build --strict`, offline.

A broken cross-reference in a docstring, a reference page naming an object the docs tool cannot find, a dead
link or a missing image fails the strict build, hence this test.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.docs.blocks import ROOT


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONWARNINGS="ignore")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    problems = [line for line in (proc.stdout + proc.stderr).splitlines() if re.match(r"\s*(WARNING|ERROR)", line)]
    assert proc.returncode == 0, "mkdocs build --strict failed:\n" + "\n".join(problems or [proc.stderr[-3000:]])
    return out


def test_strict_build_makes_every_page(site):
    pages = {p.relative_to(site).as_posix() for p in site.rglob("*.html")}
    for page in (
        "index.html",
        "guides/reproducibility.html",
        "reference/collate/mixup.html",
        "gallery.html",
        "benchmarks.html",
        "changelog.html",
    ):
        assert page in pages


def test_site_fetches_nothing_from_the_network(site):
    """No web fonts, CDN scripts or analytics: the site works offline (and from file://)."""
    external = re.compile(r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=["'](?:https?:)?//""", re.I)
    offenders = []
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        offenders += [f"{page.relative_to(site)}: {m.group(0)}" for m in external.finditer(html)]
        if "fonts.googleapis" in html or "fonts.gstatic" in html:
            offenders.append(f"{page.relative_to(site)}: web font")
    assert not offenders, "\n".join(offenders[:20])


def test_reference_pages_render_the_docstrings(site):
    html = (site / "reference" / "image" / "cutout.html").read_text(encoding="utf-8")
    assert 'id="loaders.image.Cutout' in html
    assert "doc-section" in html or "Parameters" in html
