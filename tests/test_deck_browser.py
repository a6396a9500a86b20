"""Tests for slide decks: a tiny scene rendered once, built as html, pptx and pdf.

The HTML deck is opened in headless Chromium with every non-``file:`` request
blocked, by ``tests/browser/check_deck.mjs`` (``playwright-core`` from
``npm ci``).
"""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pptx
import pytest
from conftest import check_deck, needs_browser
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.oxml.ns import qn

from optanim.outputs.deck import REVEAL_DIR, build_deck

ROOT = Path(__file__).resolve().parents[1]

SCENE = "TinyDeck"
NOTES = ["A dot appears.", "It moves right.", "It moves up."]
SCENE_SOURCE = f"""
from manim import RIGHT, UP, Create, Dot
from manim_slides import Slide


class {SCENE}(Slide):
    def construct(self):
        dot = Dot()
        self.next_slide(notes={NOTES[0]!r})
        self.play(Create(dot), run_time=0.4)
        self.next_slide(notes={NOTES[1]!r})
        self.play(dot.animate.shift(RIGHT), run_time=0.4)
        self.next_slide(notes={NOTES[2]!r})
        self.play(dot.animate.shift(UP), run_time=0.4)
        self.wait(0.2)
"""


@pytest.fixture(scope="module")
def slides_dir(tmp_path_factory) -> Path:
    """Render the tiny scene once, at 128x72 and 5 fps, outside the repository."""
    work = tmp_path_factory.mktemp("render")
    (work / "tiny_deck.py").write_text(SCENE_SOURCE)
    command = [sys.executable, "-m", "manim_slides", "render", "-ql"]
    command += ["--resolution", "128,72", "--frame_rate", "5"]
    command += ["--progress_bar", "none", "tiny_deck.py", SCENE]
    subprocess.run(command, cwd=work, check=True, capture_output=True)
    return work / "slides"


@pytest.fixture(scope="module")
def html_deck(slides_dir: Path) -> Path:
    if not (REVEAL_DIR / "dist" / "reveal.js").is_file():
        pytest.skip("reveal.js is not installed: run `npm ci`")
    out = slides_dir.parent / "deck" / "lecture.html"
    return build_deck([SCENE], slides_dir, out, "html", title="Tiny deck")


class _Links(HTMLParser):
    """Collect the files an HTML page loads."""

    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href", "data-background-video") and value:
                self.links.append(value)


def test_html_deck_is_self_contained(html_deck: Path):
    parser = _Links()
    parser.feed(html_deck.read_text())
    assert len(parser.links) >= len(NOTES) + 3
    for link in parser.links:
        assert not re.match(r"\w+://", link), link
        assert (html_deck.parent / link).is_file(), link
    assert sorted(p.name for p in html_deck.parent.iterdir()) == [
        "lecture.html",
        "lecture_assets",
    ]
    assert "<title>Tiny deck</title>" in html_deck.read_text()


@needs_browser
def test_html_deck_plays_offline_in_chromium(html_deck: Path):
    report = check_deck(html_deck)
    assert report["ready"], report
    assert report["total"] == len(NOTES)
    assert report["notes"] == NOTES
    assert report["indexAfter"] == report["indexBefore"] + 1
    assert report["firstVideoReadyState"] >= 2
    assert report["blocked"] == []
    assert report["errors"] == []


def test_pptx_deck_has_a_movie_and_notes_per_slide(slides_dir: Path):
    out = build_deck([SCENE], slides_dir, slides_dir.parent / "deck.pptx", "pptx")
    slides = list(pptx.Presentation(str(out)).slides)
    assert len(slides) == len(NOTES)
    for slide, notes in zip(slides, NOTES, strict=True):
        (movie,) = slide.shapes
        assert movie.shape_type == MSO_SHAPE_TYPE.MEDIA
        assert movie._element.tag == qn("p:pic")
        (video,) = movie._element.xpath("./p:nvPicPr/p:nvPr/a:videoFile/@r:link")
        assert slide.part.rels[video].target_part.content_type == "video/mp4"
        assert slide.notes_slide.notes_text_frame.text == notes


def test_pdf_deck_has_a_page_per_slide(slides_dir: Path):
    out = build_deck([SCENE], slides_dir, slides_dir.parent / "deck.pdf", "pdf")
    assert out.read_bytes().startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", out.read_bytes())) == len(NOTES)


def test_failed_build_keeps_previous_deck(html_deck: Path):
    before = {p: p.read_bytes() for p in html_deck.parent.rglob("*") if p.is_file()}
    with pytest.raises(RuntimeError, match="manim-slides convert"):
        build_deck(
            ["NoSuchScene"], html_deck.parent.parent / "slides", html_deck, "html"
        )
    after = {p: p.read_bytes() for p in html_deck.parent.rglob("*") if p.is_file()}
    assert after == before
    assert not list(html_deck.parent.glob(".*"))


def test_unknown_format_is_refused(tmp_path: Path):
    with pytest.raises(ValueError, match="unknown deck format"):
        build_deck([SCENE], tmp_path, tmp_path / "deck.key", "key")


def test_html_without_reveal_says_how_to_install_it(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="npm ci"):
        build_deck(
            [SCENE], tmp_path, tmp_path / "deck.html", "html", reveal_dir=tmp_path
        )
