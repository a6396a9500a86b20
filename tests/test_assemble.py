"""Tests for joining clips into one narrated lecture video."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest

from optanim.narration import audio, subtitles
from optanim.outputs import assemble
from optanim.outputs.assemble import Part, join_clips

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


def tone(path: Path, seconds: float, rate: int = 22_050) -> Path:
    t = np.arange(round(seconds * rate)) / rate
    audio.write_wav(path, 0.5 * np.sin(2 * np.pi * 220 * t), rate)
    return path


def narrate(path: Path, lines: list[tuple[str, float, float]]) -> Path:
    """A clip's ``.narration.json``: each line a tone from start to end."""
    record = {
        "beats": [],
        "tracks": [
            {
                "lang": "en",
                "voice": "test",
                "lines": [
                    {
                        "id": f"{path.stem}.{n}",
                        "caption": text,
                        "start": start,
                        "end": end,
                        "speech": str(
                            tone(path.with_name(f"{path.stem}{n}.wav"), end - start)
                        ),
                    }
                    for n, (text, start, end) in enumerate(lines)
                ],
            }
        ],
    }
    sidecar = path.with_name(path.stem + ".narration.json")
    sidecar.write_text(json.dumps(record))
    return sidecar


# Lines on each clip's own clock; the scene is the lecture's second second.
CARD_LINES = [("Gradient descent", 0.2, 0.5)]
SCENE_LINES = [("A ball rolls downhill", 0.0, 0.3), ("and stops", 0.8, 0.95)]


@pytest.fixture
def parts(tmp_path: Path) -> list[Part]:
    """A red card and a green scene in chapter one, a blue card as chapter two."""
    card = make_clip(tmp_path / "card.mp4", RED)
    scene = make_clip(tmp_path / "scene.mp4", GREEN)
    return [
        Part(card, "Descent", narrate(card, CARD_LINES)),
        Part(scene, None, narrate(scene, SCENE_LINES)),
        Part(make_clip(tmp_path / "next.mp4", BLUE), "Momentum", None),
    ]


@pytest.fixture
def lecture(parts: list[Part], tmp_path: Path) -> Path:
    out = tmp_path / "build" / "lecture.mp4"
    join_clips(parts, out)
    return out


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


EXPECTED = [(text, a, b) for text, a, b in CARD_LINES] + [
    (text, a + 1, b + 1) for text, a, b in SCENE_LINES
]


def test_the_narration_is_placed_on_the_lecture_clock(lecture: Path):
    with av.open(str(lecture)) as container:
        (stream,) = container.streams.audio
        assert (stream.codec_context.name, stream.rate) == ("aac", 48_000)
        assert stream.metadata["language"] == "eng"
        video = float(
            container.streams.video[0].duration * container.streams.video[0].time_base
        )
    samples, rate = audio.read(lecture)
    assert len(samples) / rate == pytest.approx(video, abs=1 / FPS)
    heard = audio.speech_spans(samples, rate)
    assert [round(a, 2) for a, _ in heard] == pytest.approx(
        [a for _, a, _ in EXPECTED], abs=0.03
    )
    assert [b for _, b in heard] == pytest.approx([b for _, _, b in EXPECTED], abs=0.03)
    assert audio.integrated_loudness(samples, rate) == pytest.approx(-16, abs=0.5)
    assert audio.true_peak(samples, rate) <= -1 + 0.05


def test_one_cue_per_line_from_its_speech(lecture: Path):
    for suffix, parse in ((".srt", subtitles.parse_srt), (".vtt", subtitles.parse_vtt)):
        cues = parse(lecture.with_suffix(suffix).read_text())
        assert [c.text.replace("\n", " ") for c in cues] == [t for t, _, _ in EXPECTED]
        assert [c.start for c in cues] == pytest.approx([a for _, a, _ in EXPECTED])
        for cue, (_, _, end) in zip(cues, EXPECTED, strict=True):
            assert end <= cue.end <= end + 0.5
    with av.open(str(lecture)) as container:
        (stream,) = container.streams.subtitles
        assert stream.codec_context.name == "mov_text"
        assert stream.metadata["language"] == "eng"
        starts = [
            float(p.pts * p.time_base) for p in container.demux(stream) if p.size > 2
        ]
    assert starts == pytest.approx([a for _, a, _ in EXPECTED], abs=0.002)


def test_no_narration_means_no_audio_and_no_subtitles(
    parts: list[Part], tmp_path: Path
):
    out = tmp_path / "lecture.mp4"
    out.with_suffix(".srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nold\n")
    join_clips([Part(p.path, p.title) for p in parts], out)
    assert not out.with_suffix(".srt").exists()
    with av.open(str(out)) as container:
        assert not container.streams.audio
        assert not container.streams.subtitles


def test_from_clip_finds_the_narration_beside_it(parts: list[Part]):
    assert Part.from_clip(parts[0].path, "Descent") == parts[0]
    assert Part.from_clip(parts[2].path).narration is None


@pytest.mark.parametrize(
    ("size", "fps"), [((96, 54), FPS), ((64, 36), 10)], ids=["size", "rate"]
)
def test_clips_that_differ_are_refused(parts, tmp_path: Path, size, fps):
    odd = make_clip(tmp_path / "odd.mp4", RED, size=size, fps=fps)
    with pytest.raises(ValueError, match="must share"):
        join_clips([*parts, Part(odd)], tmp_path / "lecture.mp4")
    assert list(tmp_path.glob(".*.part")) == []
    assert list(tmp_path.glob(".*.mp4")) == []


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
        join_clips([parts[2], parts[0], parts[1]], lecture)
    assert snapshot(lecture.parent) == before
    assert set(before) == {"lecture.mp4", "lecture.srt", "lecture.vtt"}


def test_failed_rename_keeps_previous_lecture(lecture, parts, monkeypatch):
    before = snapshot(lecture.parent)

    def no_space(src, dst):
        raise OSError("no space left on device")

    monkeypatch.setattr(assemble.os, "replace", no_space)
    with pytest.raises(OSError, match="no space"):
        join_clips([parts[2], parts[0], parts[1]], lecture)
    assert snapshot(lecture.parent) == before


def test_two_languages_give_two_tagged_tracks_and_caption_files(tmp_path: Path):
    clip = make_clip(tmp_path / "scene.mp4", GREEN)
    sidecar = narrate(clip, SCENE_LINES)
    record = json.loads(sidecar.read_text())
    chinese = json.loads(json.dumps(record["tracks"][0]))
    chinese["lang"] = "zh"
    for line in chinese["lines"]:
        line["caption"] = "小球滚下山坡"
    record["tracks"].append(chinese)
    sidecar.write_text(json.dumps(record))
    out = tmp_path / "lecture.mp4"
    joined = join_clips([Part(clip, "Descent", sidecar)], out)
    assert list(joined) == ["en", "zh"]
    with av.open(str(out)) as container:
        tracks = container.streams.audio
        assert [t.metadata["language"] for t in tracks] == ["eng", "chi"]
        assert [
            bool(t.disposition & av.stream.Disposition.default) for t in tracks
        ] == [
            True,
            False,
        ]
        languages = [s.metadata["language"] for s in container.streams.subtitles]
        assert languages == ["eng", "chi"]
    zh = subtitles.parse_vtt(out.with_name("lecture.zh.vtt").read_text())
    assert [c.text for c in zh] == ["小球滚下山坡"] * 2
    assert (
        subtitles.parse_srt(out.with_suffix(".srt").read_text())[0].text != zh[0].text
    )
