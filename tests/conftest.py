"""Shared fixtures: a private media folder per test, and fast last frames."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cairo
import manim
import numpy as np
import pytest
from manim import tempconfig


def pytest_addoption(parser):
    parser.addoption(
        "--set_test",
        action="store_true",
        help="store the control frames anew instead of comparing with them",
    )


def pytest_report_header(config):
    # manim's own frame tests skip silently on cairo < 1.18; ours do not.
    return f"manim {manim.__version__}, cairo {cairo.cairo_version_string()}"


@pytest.fixture(autouse=True)
def private_media(tmp_path, monkeypatch):
    """Runs every test in its own folder, so nothing lands in the real media/,
    with the fast offline voice."""
    monkeypatch.chdir(tmp_path)
    for key in [k for k in os.environ if k.startswith("OPTANIM_")]:
        monkeypatch.delenv(key)
    # espeak-ng speaks in a few milliseconds a line, and piper in a second
    monkeypatch.setenv("OPTANIM_VOICE", "espeak")
    with tempconfig({"media_dir": str(tmp_path / "media")}):
        yield tmp_path


def last_frame(scene_cls, width: int = 854, height: int = 480) -> np.ndarray:
    """The scene's final frame as RGB, rendered without encoding a video.

    Animations are skipped to their end states, as ``manim -s`` does.
    """
    options = {
        "pixel_width": width,
        "pixel_height": height,
        "frame_rate": 1,
        "save_last_frame": True,
        "format": "png",
        "disable_caching": True,
        "verbosity": "ERROR",  # at 1 fps, every short animation warns
        "progress_bar": "none",
    }
    with tempconfig(options):
        scene = scene_cls()
        scene.render()
        return scene.renderer.get_frame()[..., :3].copy()


ROOT = Path(__file__).resolve().parents[1]
CHECK_DECK = ROOT / "tests" / "browser" / "check_deck.mjs"
needs_browser = pytest.mark.skipif(
    not (ROOT / "node_modules" / "playwright-core").is_dir()
    or not Path("/usr/bin/chromium").is_file(),
    reason="needs node_modules/playwright-core (`npm ci`) and /usr/bin/chromium",
)


def check_deck(html: Path) -> dict:
    """What headless Chromium, with every non-``file:`` request blocked, reports
    of an HTML deck: readiness, slide count and notes, the arrow key, and the
    videos (see ``tests/browser/check_deck.mjs``).

    The first slide's video is looked at before any key (``before``), after
    the first key press, C (``afterKey``), after a second C
    (``afterSecondKey``), and the second slide's after ArrowRight (``next``):
    each look has ``muted``, ``paused``, ``currentTime``, ``audioBytes`` (audio
    decoded so far) and ``tracks``, the caption tracks with their ``srclang``,
    ``label``, ``default``, ``mode``, ``readyState`` and number of ``cues``."""
    done = subprocess.run(
        ["node", str(CHECK_DECK), str(html)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def render_tiny(folder: Path, entry) -> Path:
    """Renders a catalog scene with ``manim`` itself at 160×90 and 5 fps, in
    ``folder``; returns the folder of its MP4 and subtitles."""
    cmd = [sys.executable, "-m", "manim", "render", "-r", "160,90", "--fps", "5",
           "--disable_caching", "--media_dir", str(folder / "media"),
           str(entry.path), entry.cls]  # fmt: skip
    subprocess.run(cmd, cwd=folder, check=True, capture_output=True)
    return folder / "media" / "videos" / entry.name / "90p5"


def srt_texts(path: Path) -> list[str]:
    """The text of each subtitle in an ``.srt`` file, in order."""
    blocks = [b for b in path.read_text().split("\n\n") if b.strip()]
    return ["\n".join(b.splitlines()[2:]) for b in blocks]


def slide_spans(slides_json: Path) -> list[tuple[float, float, str]]:
    """Each slide of a manim-slides presentation as (start, end, notes) on the
    scene's clock, from the lengths of its video files as PyAV reads them."""
    import av
    from manim_slides.config import PresentationConfig

    spans, t = [], 0.0
    for slide in PresentationConfig.from_file(slides_json).slides:
        with av.open(str(slide.file)) as container:
            seconds = container.duration / av.time_base
        spans.append((t, t + seconds, slide.notes))
        t += seconds
    return spans


def cues_by_slide(cues, spans) -> list[str]:
    """The text of the cues that start within each slide, joined as read."""
    return [
        " ".join(c.text.replace("\n", " ") for c in cues if start <= c.start < end)
        for start, end, _ in spans
    ]
