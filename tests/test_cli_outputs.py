"""The outputs of ``optanim``, each read back by a reader of its own.

Everything renders at 128x72 and 5 fps into one media folder that the
pytest-xdist workers share: the command's own locks and up-to-date stamps let
them split the work. Tests that change what is rendered work on a copy.

Readers: PyAV (the lecture and the clips), the ``srt`` package (subtitles),
manim-slides' ``PresentationConfig`` (slides), python-pptx, Chromium (the HTML
deck) and Pillow (the contact sheet).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import av
import numpy as np
import pptx
import pytest
from conftest import check_deck, cues_by_slide, needs_browser, slide_spans
from PIL import Image

from optanim import cli, narration
from optanim.lesson.catalog import SCENES, SceneEntry
from optanim.narration import audio, subtitles  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--resolution", "128,72", "--fps", "5"]
FOLDER = "72p5"  # where manim puts 72-pixel-high videos at 5 fps
CARD_SECONDS = 2.0
BUILT = [s for s in SCENES if s.exists]


def optanim(*argv: str, cwd: Path) -> str:
    """Runs ``optanim argv`` in this process, as a clean shell in ``cwd`` would;
    returns what it printed."""
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, redirect_stdout(out), redirect_stderr(out):
        mp.chdir(cwd)
        for key in [k for k in os.environ if k.startswith("OPTANIM_")]:
            mp.delenv(key)
        mp.setenv("OPTANIM_VOICE", "espeak")
        status = cli.main(list(argv))
    assert status == 0, out.getvalue()
    return out.getvalue()


@pytest.fixture(scope="session")
def media(tmp_path_factory) -> Path:
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # one folder for all the workers of this run
    (root / "cli_outputs").mkdir(exist_ok=True)
    return root / "cli_outputs" / "media"


def lecture_args(media: Path) -> list[str]:
    return ["lecture", "-q", "low", *TINY, "--media-dir", str(media)]


@pytest.fixture(scope="session")
def lecture(media: Path) -> Path:
    optanim(*lecture_args(media), cwd=media.parent)
    return media / "lecture" / "low" / "lecture.mp4"


def scene_clip(media: Path, entry: SceneEntry) -> Path:
    """Where optanim renders a scene: beside plain manim's ``media/videos``."""
    return media / "optanim" / "videos" / entry.name / FOLDER / f"{entry.cls}.mp4"


def seconds(video: Path) -> float:
    with av.open(str(video)) as container:
        return container.duration / av.time_base


def frames(video: Path) -> int:
    with av.open(str(video)) as container:
        return sum(1 for _ in container.decode(video=0))


def scene_starts(media: Path) -> list[float]:
    """When each scene's clip starts in the lecture: after the title card, and
    after its own section card."""
    starts, t = [], CARD_SECONDS
    for entry in BUILT:
        starts.append(t + CARD_SECONDS)
        t += CARD_SECONDS + seconds(scene_clip(media, entry))
    return starts


# -- the lecture -----------------------------------------------------------------
def test_lecture_is_the_cards_and_scenes_end_to_end(lecture: Path, media: Path):
    cards = list(media.glob(f"cards/*/videos/title_card/{FOLDER}/Card.mp4"))
    assert len(cards) == len(BUILT) + 1
    clips = cards + [scene_clip(media, entry) for entry in BUILT]
    with av.open(str(lecture)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (128, 72)
        assert stream.guessed_rate == 5
    assert seconds(lecture) == pytest.approx(sum(map(seconds, clips)), abs=0.05)
    assert frames(lecture) == sum(map(frames, clips))
    assert all(seconds(card) == pytest.approx(CARD_SECONDS) for card in cards)


def test_one_process_renders_every_card_with_its_own_text(lecture: Path, media: Path):
    assert [log.name for log in media.glob("logs/cards*")] == ["cards_low.log"]
    middles = set()
    for card in media.glob(f"cards/*/videos/title_card/{FOLDER}/Card.mp4"):
        with av.open(str(card)) as container:
            pictures = [f.to_ndarray(format="gray") for f in container.decode(video=0)]
        middles.add(pictures[len(pictures) // 2].tobytes())
    assert len(middles) == len(BUILT) + 1


def test_lecture_has_a_chapter_per_scene(lecture: Path, media: Path):
    with av.open(str(lecture)) as container:
        chapters = container.chapters()
    assert [c["metadata"]["title"] for c in chapters] == [s.title for s in BUILT]
    starts = [float(c["start"] * c["time_base"]) for c in chapters]
    ends = [float(c["end"] * c["time_base"]) for c in chapters]
    cards = [0.0] + [t - CARD_SECONDS for t in scene_starts(media)[1:]]
    assert starts == pytest.approx(cards, abs=0.002)  # the first opens on the title
    assert ends == pytest.approx([*starts[1:], seconds(lecture)], abs=0.002)


def test_the_lecture_speaks_every_cue_and_nothing_else(lecture: Path):
    cues = narration.subtitles.parse_srt(lecture.with_suffix(".srt").read_text())
    assert cues == narration.subtitles.parse_vtt(
        lecture.with_suffix(".vtt").read_text()
    )
    with av.open(str(lecture)) as container:
        (sound,) = container.streams.audio
        (subtitles,) = container.streams.subtitles
        assert (sound.codec_context.name, sound.rate) == ("aac", 48_000)
        assert sound.metadata["language"] == subtitles.metadata["language"] == "eng"
    samples, rate = narration.audio.read(lecture)  # decoded by PyAV
    assert len(samples) / rate == pytest.approx(seconds(lecture), abs=1 / 5)
    heard = narration.audio.speech_spans(samples, rate)
    for cue in cues:  # each cue starts with its speech
        onset = min((a for a, _ in heard), key=lambda a: abs(a - cue.start))
        assert abs(onset - cue.start) <= 0.05, cue
        shown = [(max(a, cue.start), min(b, cue.end)) for a, b in heard]
        spoken = sum(max(0.0, b - a) for a, b in shown)
        assert spoken >= 0.5 * (cue.end - cue.start - 0.5), cue  # speech under it
    for a, b in heard:  # no speech outside the cues, none spanning two of them
        assert any(c.start - 0.05 <= a and b <= c.end + 0.05 for c in cues), (a, b)
    assert narration.audio.integrated_loudness(samples, rate) == pytest.approx(
        -16, abs=0.5
    )
    assert narration.audio.true_peak(samples, rate) <= -1.0 + 0.1
    assert narration.subtitles.check_file(lecture.with_suffix(".srt"), "en", 60) == []


def test_running_again_renders_nothing(lecture: Path, media: Path):
    before = lecture.stat().st_mtime_ns
    output = optanim(*lecture_args(media), cwd=media.parent)
    assert "rendered" not in output
    assert output.count(": up to date in") == 2 * len(BUILT) + 1
    assert "lecture: up to date" in output
    assert lecture.stat().st_mtime_ns == before


def private_copy(media: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(media, tmp_path / "media", symlinks=True))


def test_missing_scenes_are_skipped_and_said(lecture, media, tmp_path, monkeypatch):
    kept = BUILT[1]  # the lecture is then one scene long, and quick to join
    monkeypatch.setattr(SceneEntry, "exists", property(lambda s: s == kept))
    copy = private_copy(media, tmp_path)
    output = optanim(*lecture_args(copy), cwd=tmp_path)
    for missing in BUILT:
        said = f"skipping {missing.name}: not built yet"
        assert (said in output) == (missing != kept), output
    assert "rendered" not in output
    with av.open(str(copy / "lecture" / "low" / "lecture.mp4")) as container:
        titles = [c["metadata"]["title"] for c in container.chapters()]
    assert titles == [kept.title]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill"])
def test_an_interrupted_lecture_keeps_the_previous_one(lecture, media, tmp_path, sig):
    copy = private_copy(media, tmp_path)
    entry = BUILT[0]
    scene_clip(copy, entry).with_suffix(".mp4.key").unlink()  # render it again
    previous = (copy / "lecture" / "low" / "lecture.mp4").read_bytes()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPTANIM_")}
    env["OPTANIM_VOICE"] = "espeak"
    command = [sys.executable, "-m", "optanim.cli", *lecture_args(copy)]
    with subprocess.Popen(
        command, cwd=tmp_path, env=env, start_new_session=True, stderr=subprocess.PIPE
    ) as run:
        rendering = scene_clip(copy, entry).parent
        deadline = time.monotonic() + 60
        while not list(rendering.glob(f".{entry.cls}.*.part.cfg")):
            assert run.poll() is None
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.5)  # manim is starting or rendering
        os.killpg(run.pid, sig)
        stderr = run.communicate(timeout=60)[1].decode()
    if sig == signal.SIGINT:
        assert run.returncode == 130, stderr
        assert "interrupted" in stderr
    lecture_copy = copy / "lecture" / "low" / "lecture.mp4"
    assert lecture_copy.read_bytes() == previous
    assert frames(lecture_copy) == frames(lecture)
    assert not list(lecture_copy.parent.glob(".*.part"))


# -- the deck ----------------------------------------------------------------------
@pytest.fixture(scope="session")
def deck(media: Path):
    def build(fmt: str) -> Path:
        argv = ["slides", "--to", fmt, "-q", "low", *TINY, "--media-dir", str(media)]
        optanim(*argv, cwd=media.parent)
        return media / "slides" / f"lecture.{fmt}"

    return build


def all_notes(media: Path) -> list[str]:
    return [
        notes
        for entry in BUILT
        for _, _, notes in slide_spans(media / "slides" / FOLDER / f"{entry.cls}.json")
    ]


def test_a_slide_per_beat_with_its_captions_as_notes(lecture: Path, media: Path):
    for entry in BUILT:
        spans = slide_spans(media / "slides" / FOLDER / f"{entry.cls}.json")
        cues = narration.subtitles.parse_srt(
            scene_clip(media, entry).with_suffix(".srt").read_text()
        )
        assert cues_by_slide(cues, spans) == [notes for _, _, notes in spans]


@needs_browser
def test_html_deck_plays_offline_in_chromium(deck, media: Path):
    report = check_deck(deck("html"))
    assert report["ready"], report
    assert report["notes"] == all_notes(media)
    assert report["total"] == len(report["notes"])
    assert report["indexAfter"] == report["indexBefore"] + 1
    assert report["firstVideoReadyState"] >= 2
    assert report["blocked"] == report["errors"] == []


def test_pptx_deck_has_a_slide_and_notes_per_beat(deck, media: Path):
    slides = list(pptx.Presentation(str(deck("pptx"))).slides)
    notes = [slide.notes_slide.notes_text_frame.text for slide in slides]
    assert notes == all_notes(media)


def test_pdf_deck_has_a_page_per_beat(deck, media: Path):
    pdf = deck("pdf").read_bytes()
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == len(all_notes(media))


# -- clips and previews ----------------------------------------------------------
def decode_with_alpha(video: Path) -> list[np.ndarray]:
    """RGBA frames of a VP9 WebM: FFmpeg's own VP9 decoder drops the alpha."""
    decoder = av.CodecContext.create("libvpx-vp9", "r")
    with av.open(str(video)) as container:
        packets = [p for p in container.demux(video=0) if p.size]
        decoded = [f for p in packets for f in decoder.decode(p)] + decoder.decode()
    return [frame.to_ndarray(format="rgba") for frame in decoded]


def test_transparent_webm_clip_has_an_alpha_channel(media: Path):
    entry = BUILT[0]
    argv = ["clips", entry.name, "--format", "webm", "--transparent", "-q", "low"]
    optanim(*argv, *TINY, "--media-dir", str(media), cwd=media.parent)
    clip = media / "clips" / "low" / f"{entry.name}_alpha.webm"
    rgba = decode_with_alpha(clip)
    assert rgba[-1].shape == (72, 128, 4)
    assert len(rgba) == pytest.approx(seconds(clip) * 5, abs=1)
    alpha = rgba[-1][..., 3]
    assert (alpha == 0).mean() > 0.5  # the background is see-through
    assert alpha.max() > 200  # the figure is not (its lines are thin at 72p)


def test_an_mp4_clip_cannot_be_transparent(media: Path, capsys):
    assert cli.main(["clips", "--format", "mp4", "-t", "--media-dir", str(media)]) == 2
    assert "no alpha channel" in capsys.readouterr().err


def test_preview_is_a_contact_sheet_of_last_frames(media: Path):
    shown = BUILT[:2]  # CI previews them all; two make a sheet
    argv = ["preview", *(s.name for s in shown), "--resolution", "128,72"]
    output = optanim(*argv, "--media-dir", str(media), cwd=media.parent)
    assert output.count("rendering at low") == len(shown)
    previews = media / "previews"
    for entry in shown:
        frame = np.asarray(Image.open(previews / f"{entry.name}.png").convert("L"))
        assert frame.shape == (72, 128)
        assert frame.min() < 200 < frame.max()  # ink on paper
    sheet = np.asarray(Image.open(previews / "contact_sheet.png").convert("L"))
    assert sheet.shape == (8 + 72 + 26 + 8, 8 + 3 * (128 + 8))
    tile = sheet[8 + 26 : 8 + 26 + 72, 8 + 136 : 8 + 136 + 128]
    assert tile.min() < 200  # the second frame sits in the second column
