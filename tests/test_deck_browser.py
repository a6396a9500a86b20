"""Tests for slide decks: a tiny scene rendered once, built as html, pptx and pdf.

The scene is narrated by hand: a ``.narration.json`` with one tone per beat as
its "speech" (each its own pitch, so that each slide can be told by ear) and
captions in English and Chinese beside it. The HTML deck is opened in headless
Chromium with every non-``file:`` request blocked, by
``tests/browser/check_deck.mjs`` (``playwright-core`` from ``npm ci``); the
sound of the slides is read back with PyAV, from the slide files, the deck's
copies and the movies inside the PPTX.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import av
import numpy as np
import pptx
import pytest
from conftest import check_deck, needs_browser, slide_spans
from manim_slides.config import PresentationConfig
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.oxml.ns import qn
from test_cli_outputs import all_notes, deck, media  # noqa: F401 (fixtures)

from optanim.narration import audio, subtitles
from optanim.narration.cues import Cue
from optanim.outputs.deck import REVEAL_DIR, build_deck
from optanim.outputs.mux import mux
from optanim.outputs.slide_sound import narrated_slides, speak_slides

ROOT = Path(__file__).resolve().parents[1]

SCENE = "TinyDeck"
NOTES = ["A dot appears.", "It moves right.", "It moves up."]
NOTES_ZH = ["出现一个点。", "它向右移动。", "它向上移动。"]
SLIDE_SECONDS = 1.6  # an animation a slide: 8 frames at 5 fps
SAID_AT, SAID_FOR = 0.2, 0.8  # each beat's line, on the slide's clock
PITCHES = [330.0, 440.0, 550.0]  # Hz, a tone per beat
SCENE_SOURCE = f"""
from manim import RIGHT, UP, Create, Dot
from manim_slides import Slide


class {SCENE}(Slide):
    skip_reversing = True

    def construct(self):
        dot = Dot()
        self.next_slide(notes={NOTES[0]!r})
        self.play(Create(dot), run_time={SLIDE_SECONDS})
        self.next_slide(notes={NOTES[1]!r})
        self.play(dot.animate.shift(RIGHT), run_time={SLIDE_SECONDS})
        self.next_slide(notes={NOTES[2]!r})
        self.play(dot.animate.shift(UP), run_time={SLIDE_SECONDS})
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


def write_narration(folder: Path, beats: list[float]) -> Path:
    """A scene's ``.narration.json``, ``.vtt`` and ``.zh.vtt`` as a render
    writes them: a line a beat, its speech a tone of 0.8 s at 22,050 Hz."""
    folder.mkdir(parents=True, exist_ok=True)
    rate = 22_050
    t = np.arange(round(SAID_FOR * rate)) / rate
    fade = np.minimum(1.0, np.minimum(t, SAID_FOR - t) / 0.02)
    tracks = []
    for lang, texts in (("en", NOTES), ("zh", NOTES_ZH)):
        lines, cues = [], []
        for n, (start, text) in enumerate(zip(beats, texts[: len(beats)], strict=True)):
            wav = folder / f"{lang}{n}.wav"
            audio.write_wav(wav, 0.05 * fade * np.sin(2 * np.pi * PITCHES[n] * t), rate)
            said = start + SAID_AT
            end = said + SAID_FOR
            line = {"id": f"tiny.{n}", "caption": text, "start": said, "end": end}
            lines.append(line | {"speech": str(wav)})
            cues.append(Cue(said, said + SAID_FOR + 0.2, text))
        vtt = folder / (f"{SCENE}.vtt" if lang == "en" else f"{SCENE}.{lang}.vtt")
        vtt.write_text(subtitles.format_vtt(cues), encoding="utf-8")
        tracks.append({"lang": lang, "voice": "tone", "lines": lines})
    record = {
        "beats": [{"id": f"beat{n}", "start": s} for n, s in enumerate(beats)],
        "tracks": tracks,
    }
    path = folder / f"{SCENE}.narration.json"
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def narration(slides_dir: Path) -> Path:
    starts = [start for start, _, _ in slide_spans(slides_dir / f"{SCENE}.json")]
    assert starts == pytest.approx([0.0, SLIDE_SECONDS, 2 * SLIDE_SECONDS])
    return write_narration(slides_dir.parent / "videos", starts)


@pytest.fixture(scope="module")
def html_deck(slides_dir: Path, narration: Path) -> Path:
    if not (REVEAL_DIR / "dist" / "reveal.js").is_file():
        pytest.skip("reveal.js is not installed: run `npm ci`")
    out = slides_dir.parent / "deck" / "lecture.html"
    return build_deck(
        [SCENE], slides_dir, out, "html", title="Tiny deck", narrations=[narration]
    )


def slide_files(slides_dir: Path) -> list[Path]:
    presentation = PresentationConfig.from_file(slides_dir / f"{SCENE}.json")
    return [slide.file for slide in presentation.slides]


def pitch(samples: np.ndarray, rate: int) -> float:
    """The strongest frequency of ``samples``, in Hz."""
    spectrum = np.abs(np.fft.rfft(samples))
    return float(np.fft.rfftfreq(samples.size, 1 / rate)[np.argmax(spectrum)])


def assert_speaks(video: Path, n: int) -> None:
    """``video`` has one AAC track, in English, saying beat ``n``'s line at its
    time, at -16 LUFS with true peaks under -1 dBTP, and nothing else."""
    with av.open(str(video)) as container:
        (stream,) = container.streams.audio
        assert (stream.codec_context.name, stream.rate) == ("aac", 48_000)
        assert stream.metadata["language"] == "eng"
        seconds = container.duration / av.time_base
    samples, rate = audio.read(video)
    assert len(samples) / rate == pytest.approx(seconds, abs=0.05)
    ((start, end),) = audio.speech_spans(samples, rate)
    assert start == pytest.approx(SAID_AT, abs=0.03)
    assert end == pytest.approx(SAID_AT + SAID_FOR, abs=0.03)
    assert pitch(samples[int(start * rate) : int(end * rate)], rate) == pytest.approx(
        PITCHES[n], abs=5
    )
    assert audio.integrated_loudness(samples, rate) == pytest.approx(-16, abs=0.5)
    assert audio.true_peak(samples, rate) <= -1.0


# -- the sound and captions of each slide ----------------------------------------
def test_each_slide_speaks_its_beat(html_deck: Path, slides_dir: Path):
    files = slide_files(slides_dir)
    assert len(files) == len(NOTES)
    for n, file in enumerate(files):
        assert_speaks(file, n)
        assert_speaks(html_deck.parent / "lecture_assets" / file.name, n)


def test_each_slide_has_the_captions_of_its_beat(slides_dir: Path, narration: Path):
    slides = narrated_slides(slides_dir / f"{SCENE}.json", narration)
    assert [s.start for s in slides] == pytest.approx([0, 1.6, 3.2])
    assert [s.seconds for s in slides] == pytest.approx([1.6] * 3)
    for n, slide in enumerate(slides):
        assert slide.lang == "en"
        assert list(slide.cues) == ["en", "zh"]
        assert [c.text for c in slide.cues["en"]] == [NOTES[n]]
        assert [c.text for c in slide.cues["zh"]] == [NOTES_ZH[n]]
        (cue,) = slide.cues["en"]
        assert (cue.start, cue.end) == pytest.approx((SAID_AT, SAID_AT + 1.0))
        ((at, _),) = slide.speech
        assert at == pytest.approx(SAID_AT)


def test_slide_sound_is_muxed_once(html_deck: Path, slides_dir: Path, narration):
    slides = narrated_slides(slides_dir / f"{SCENE}.json", narration)
    assert speak_slides(slides) == 0  # the deck's build gave them their sound
    first = slides[0].file
    mux(first, first)  # as manim-slides writes it again: no sound
    with av.open(str(first)) as container:
        assert not container.streams.audio
    assert speak_slides(slides) == 1
    assert_speaks(first, 0)


def test_slides_from_another_render_are_refused(slides_dir: Path, tmp_path: Path):
    presentation = slides_dir / f"{SCENE}.json"
    late = write_narration(tmp_path / "late", [0.0, 1.6 + 0.4, 3.2])
    with pytest.raises(ValueError, match="render the scene again"):
        narrated_slides(presentation, late)
    fewer = write_narration(tmp_path / "fewer", [0.0, 1.6])
    with pytest.raises(ValueError, match="3 slides but .* 2 beats"):
        narrated_slides(presentation, fewer)


# -- the HTML deck ---------------------------------------------------------------
def vtt_text(url: str) -> str:
    """The text of a ``data:`` URL."""
    return unquote(url.split(",", 1)[1])


class _Links(HTMLParser):
    """Collect the files an HTML page loads, and the captions of its slides."""

    def __init__(self):
        super().__init__()
        self.links = []
        self.captions = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href", "data-background-video") and value:
                self.links.append(value)
        prefix = "data-captions-"
        found = {k[len(prefix) :]: v for k, v in attrs if k.startswith(prefix)}
        if found:
            self.captions.append(found)


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
    # Each slide's captions are in the page: browsers load no .vtt from disk.
    assert len(parser.captions) == len(NOTES)
    prefix = "data:text/vtt;charset=utf-8,"
    for found, en, zh in zip(parser.captions, NOTES, NOTES_ZH, strict=True):
        assert list(found) == ["en", "zh"]
        texts = {}
        for lang, url in found.items():
            assert url.startswith(prefix)
            (cue,) = subtitles.parse_vtt(vtt_text(url))
            texts[lang] = cue.text
        assert texts == {"en": en, "zh": zh}


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

    # Browsers play sound only after the viewer does something: muted at first,
    before, after = report["before"], report["afterKey"]
    assert before["muted"]
    # and with sound, playing, after the first key press.
    nxt = report["next"]  # and so is the next slide
    for state in (after, nxt):
        assert (state["muted"], state["paused"]) == (False, False), state
        assert state["audioBytes"] > 0

    # A caption track per language, loaded, English shown first; C shows the
    # next language, then none.
    for state in (before, nxt):
        tracks = state["tracks"]
        assert [(t["kind"], t["srclang"], t["label"]) for t in tracks] == [
            ("captions", "en", "English"),
            ("captions", "zh", "中文"),
        ]
        assert [t["default"] for t in tracks] == [True, False]
        assert all(t["readyState"] == 2 and t["cues"] == 1 for t in tracks), tracks

    def modes(state):
        return [t["mode"] for t in state["tracks"]]

    assert modes(before) == ["showing", "hidden"]
    assert modes(after) == ["hidden", "showing"]
    assert modes(report["afterSecondKey"]) == ["hidden", "hidden"]
    assert modes(nxt) == ["hidden", "hidden"]  # captions off, for every slide


def test_html_deck_without_narration_is_silent_and_uncaptioned(slides_dir: Path):
    if not (REVEAL_DIR / "dist" / "reveal.js").is_file():
        pytest.skip("reveal.js is not installed: run `npm ci`")
    out = build_deck([SCENE], slides_dir, slides_dir.parent / "plain.html", "html")
    assert "data-captions-" not in out.read_text()
    assert "Reveal.addKeyBinding" in out.read_text()  # manim-slides' own, only
    assert out.read_text().count("addKeyBinding") == 1


# -- the other formats -----------------------------------------------------------
def test_pptx_deck_has_a_speaking_movie_and_notes_per_slide(
    slides_dir: Path, narration: Path, tmp_path: Path
):
    out = slides_dir.parent / "deck.pptx"
    build_deck([SCENE], slides_dir, out, "pptx", narrations=[narration])
    slides = list(pptx.Presentation(str(out)).slides)
    assert len(slides) == len(NOTES)
    for n, (slide, notes) in enumerate(zip(slides, NOTES, strict=True)):
        (movie,) = slide.shapes
        assert movie.shape_type == MSO_SHAPE_TYPE.MEDIA
        assert movie._element.tag == qn("p:pic")
        (video,) = movie._element.xpath("./p:nvPicPr/p:nvPr/a:videoFile/@r:link")
        part = slide.part.rels[video].target_part
        assert part.content_type == "video/mp4"
        movie_file = tmp_path / f"movie{n}.mp4"  # the media part, as PyAV reads it
        movie_file.write_bytes(part.blob)
        assert_speaks(movie_file, n)
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


# -- the lecture's deck, as `optanim slides` builds it ------------------------------
def test_lecture_deck_speaks_and_captions_every_beat(deck, media: Path):  # noqa: F811
    html = deck("html")
    parser = _Links()
    parser.feed(html.read_text())
    notes = all_notes(media)
    assert len(parser.captions) == len(notes)
    videos = [link for link in parser.links if link.endswith(".mp4")]
    assert len(videos) == len(notes)
    for video, found, said in zip(videos, parser.captions, notes, strict=True):
        cues = subtitles.parse_vtt(vtt_text(found["en"]))
        assert " ".join(c.text.replace("\n", " ") for c in cues) == said
        samples, rate = audio.read(html.parent / video)
        heard = audio.speech_spans(samples, rate)
        assert heard, video
        for cue in cues:  # each cue starts with its speech, on the slide's clock
            onset = min((a for a, _ in heard), key=lambda a: abs(a - cue.start))
            assert abs(onset - cue.start) <= 0.05, (video, cue)
        assert audio.integrated_loudness(samples, rate) == pytest.approx(-16, abs=0.5)
        assert audio.true_peak(samples, rate) <= -1.0
