"""Tests for joining clips into one lecture video."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from optanim.outputs import assemble
from optanim.outputs.assemble import Cue, Part, format_srt, join_clips, parse_srt

FPS = 5
FRAMES = 5  # one second per clip
RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)


def make_clip(path: Path, colour, size=(64, 36), fps=FPS, preset="medium") -> Path:
    """Encode a solid-colour H.264 clip the way manim encodes its movies."""
    width, height = size
    options = {"crf": "23", "preset": preset}
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps, options=options)
        stream.pix_fmt = "yuv420p"
        stream.width, stream.height = width, height
        image = np.full((height, width, 3), colour, dtype=np.uint8)
        for _ in range(FRAMES):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


@pytest.fixture
def parts(tmp_path: Path) -> list[Part]:
    """A red card and a green scene in chapter one, a blue card as chapter two."""
    srt_card = tmp_path / "card.srt"
    srt_card.write_text("1\n00:00:00,200 --> 00:00:00,800\nGradient descent\n\n")
    srt_scene = tmp_path / "scene.srt"
    srt_scene.write_text(
        "1\n00:00:00,000 --> 00:00:00,500\nA ball rolls\ndownhill\n\n"
        "2\n00:00:00,500 --> 00:00:04,000\nand stops\n\n"
    )
    return [
        Part(make_clip(tmp_path / "card.mp4", RED), "Descent", srt_card),
        Part(make_clip(tmp_path / "scene.mp4", GREEN), None, srt_scene),
        Part(make_clip(tmp_path / "next.mp4", BLUE), "Momentum", None),
    ]


@pytest.fixture
def lecture(parts: list[Part], tmp_path: Path) -> Path:
    return join_clips(parts, tmp_path / "build" / "lecture.mp4")


def test_lecture_plays_every_frame_in_order(lecture: Path):
    with av.open(str(lecture)) as container:
        assert container.duration / av.time_base == pytest.approx(3.0, abs=0.05)
        frames = [
            frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)
        ]
    assert len(frames) == 3 * FRAMES
    expected = [RED] * FRAMES + [GREEN] * FRAMES + [BLUE] * FRAMES
    for frame, colour in zip(frames, expected, strict=True):
        assert np.abs(frame.mean(axis=(0, 1)) - colour).max() < 8


def test_timestamps_increase(lecture: Path):
    with av.open(str(lecture)) as container:
        dts = [p.dts for p in container.demux(video=0) if p.dts is not None]
    assert dts == sorted(set(dts))


def test_one_chapter_per_titled_part(lecture: Path):
    with av.open(str(lecture)) as container:
        chapters = container.chapters()
    titles = [chapter["metadata"]["title"] for chapter in chapters]
    starts = [float(c["start"] * c["time_base"]) for c in chapters]
    ends = [float(c["end"] * c["time_base"]) for c in chapters]
    assert titles == ["Descent", "Momentum"]
    assert starts == pytest.approx([0.0, 2.0])
    assert ends == pytest.approx([2.0, 3.0])


def test_subtitles_are_shifted_and_renumbered(lecture: Path):
    text = lecture.with_suffix(".srt").read_text()
    assert text.startswith("1\n00:00:00,200 --> 00:00:00,800\nGradient descent\n")
    assert parse_srt(text) == [
        Cue(200, 800, "Gradient descent"),
        Cue(1000, 1500, "A ball rolls\ndownhill"),
        Cue(1500, 2000, "and stops"),  # cut at the end of its clip
    ]
    assert [line for line in text.splitlines() if line.isdigit()] == ["1", "2", "3"]


def test_no_subtitles_means_no_srt(parts: list[Part], tmp_path: Path):
    out = tmp_path / "lecture.mp4"
    out.with_suffix(".srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nold\n")
    join_clips([Part(p.path, p.title) for p in parts], out)
    assert not out.with_suffix(".srt").exists()


def test_srt_round_trip_with_windows_line_ends():
    cues = [Cue(0, 1250, "one"), Cue(3_723_004, 3_724_000, "two\nlines")]
    text = format_srt(cues)
    assert "01:02:03,004 --> 01:02:04,000" in text
    assert parse_srt(text.replace("\n", "\r\n")) == cues
    assert format_srt([]) == ""


def test_from_clip_finds_subtitles_beside_it(parts: list[Part]):
    assert Part.from_clip(parts[0].path, "Descent") == parts[0]
    assert Part.from_clip(parts[2].path).srt is None


@pytest.mark.parametrize(
    ("size", "fps"), [((96, 54), FPS), ((64, 36), 10)], ids=["size", "rate"]
)
def test_clips_that_differ_are_refused(parts, tmp_path: Path, size, fps):
    odd = make_clip(tmp_path / "odd.mp4", RED, size=size, fps=fps)
    with pytest.raises(ValueError, match="must share"):
        join_clips([*parts, Part(odd)], tmp_path / "lecture.mp4")
    assert list(tmp_path.glob(".*.part")) == []


def test_clips_encoded_differently_are_refused(parts, tmp_path: Path):
    odd = make_clip(tmp_path / "odd.mp4", RED, preset="ultrafast")
    with pytest.raises(ValueError, match="different settings"):
        join_clips([*parts, Part(odd)], tmp_path / "lecture.mp4")


def test_no_parts_are_refused(tmp_path: Path):
    with pytest.raises(ValueError, match="no clips"):
        join_clips([], tmp_path / "lecture.mp4")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in folder.iterdir()}


def test_interrupted_write_keeps_previous_lecture(lecture, parts, monkeypatch):
    before = snapshot(lecture.parent)
    write = assemble._write_video

    def interrupted(clips, starts, chapters, path):
        write(clips, starts, chapters, path)
        assert path.stat().st_size > 0
        raise KeyboardInterrupt

    monkeypatch.setattr(assemble, "_write_video", interrupted)
    with pytest.raises(KeyboardInterrupt):
        join_clips(parts[::-1], lecture)
    assert snapshot(lecture.parent) == before
    assert set(before) == {"lecture.mp4", "lecture.srt"}


def test_failed_rename_keeps_previous_lecture(lecture, parts, monkeypatch):
    before = snapshot(lecture.parent)

    def no_space(src, dst):
        raise OSError("no space left on device")

    monkeypatch.setattr(assemble.os, "replace", no_space)
    with pytest.raises(OSError, match="no space"):
        join_clips(parts[::-1], lecture)
    assert snapshot(lecture.parent) == before
