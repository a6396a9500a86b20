"""Muxing narration and subtitles into a lecture video, checked by reading back."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np
import pytest

from optanim.narration import audio
from optanim.outputs import mux as mux_module
from optanim.outputs.mux import AudioTrack, SubtitleTrack, mux

FPS = 15
SECONDS = 2.0
FRAME = 1 / FPS
CHAPTERS = [
    {
        "id": 1,
        "start": 0,
        "end": 1200,
        "time_base": Fraction(1, 1000),
        "metadata": {"title": "Intro"},
    },
    {
        "id": 2,
        "start": 1200,
        "end": 2000,
        "time_base": Fraction(1, 1000),
        "metadata": {"title": "Saddle points"},
    },
]


@dataclass
class Cue:
    start: float
    end: float
    text: str


ENGLISH = [
    Cue(0.1, 0.9, "Gradient descent\nfollows the slope."),
    Cue(1.0, 1.45, "Braces {stay}, commas, too; \\nabla f is not a line break."),
    Cue(1.5, 1.95, "A saddle point."),
]
CHINESE = [Cue(0.2, 1.1, "梯度下降\n沿着坡度"), Cue(1.3, 1.9, "鞍点。")]
# (start, seconds) of the noise bursts in each narration track
BURSTS = {"eng": [(0.3, 0.5), (1.2, 0.4)], "chi": [(0.6, 0.3)]}


def make_video(path, with_audio=True):
    """A 64x64, 15 fps, 2 s H.264 video with chapters and a stereo AAC track."""
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=FPS)
        video.width = video.height = 64
        video.pix_fmt = "yuv420p"
        video.codec_context.options = {"preset": "veryfast"}  # with B-frames
        if with_audio:
            sound = container.add_stream("aac", rate=44100)
            sound.codec_context.layout = "stereo"
        container.set_chapters(CHAPTERS)
        for i in range(round(SECONDS * FPS)):
            image = np.zeros((64, 64, 3), np.uint8)
            image[:, : 4 * i % 64] = (200, 40 * i % 256, 90)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = i
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        if with_audio:
            noise = np.random.default_rng(0).standard_normal((2, 88200)) * 0.1
            frame = av.AudioFrame.from_ndarray(
                noise.astype(np.float32), format="fltp", layout="stereo"
            )
            frame.sample_rate = 44100
            frame.pts = 0
            container.mux(sound.encode(frame))
            container.mux(sound.encode(None))


def narration(language: str, rate: int, seconds: float) -> np.ndarray:
    rng = np.random.default_rng(len(language) + rate)
    segments = [
        (start, 0.3 * rng.standard_normal(round(length * rate)))
        for start, length in BURSTS[language]
    ]
    return audio.place(segments, seconds, rate)


def video_packets(path):
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return [
            (bytes(p), p.pts * p.time_base, p.dts * p.time_base, p.is_keyframe)
            for p in container.demux(stream)
            if p.dts is not None
        ]


@pytest.fixture(scope="module")
def lecture(tmp_path_factory):
    """The test video and its muxed version, with two languages of each kind."""
    folder = tmp_path_factory.mktemp("mux")
    video, out = folder / "lecture.mp4", folder / "lecture.narrated.mp4"
    make_video(video)
    mux(
        video,
        out,
        audio=[
            # English at 44.1 kHz and too short: resampled and padded.
            AudioTrack(narration("eng", 44100, 1.7), 44100, "eng"),
            # Chinese already at 48 kHz and too long: cut.
            AudioTrack(narration("chi", 48000, 2.6), 48000, "chi"),
        ],
        subtitles=[SubtitleTrack(ENGLISH, "eng"), SubtitleTrack(CHINESE, "chi")],
    )
    return video, out


def media_streams(container):
    # The mp4 muxer stores the chapters as a text track, read back as data.
    return [s for s in container.streams if s.type != "data"]


def test_streams_codecs_languages_and_defaults(lecture):
    _, out = lecture
    with av.open(str(out)) as container:
        streams = media_streams(container)
        assert [(s.type, s.codec_context.name) for s in streams] == [
            ("video", "h264"),
            ("audio", "aac"),
            ("audio", "aac"),
            ("subtitle", "mov_text"),
            ("subtitle", "mov_text"),
        ]
        assert [s.metadata["language"] for s in streams] == [
            "und",
            "eng",
            "chi",
            "eng",
            "chi",
        ]
        default = av.stream.Disposition.default
        assert [bool(s.disposition & default) for s in streams] == [
            True,
            True,
            False,
            True,
            False,
        ]
        for stream in container.streams.audio:
            assert stream.codec_context.sample_rate == 48000
            assert stream.codec_context.layout.nb_channels == 1
        assert len(container.streams) - len(streams) <= 1  # the chapter track


def test_video_is_copied_untouched(lecture):
    video, out = lecture
    before, after = video_packets(video), video_packets(out)
    assert len(after) == len(before) == round(SECONDS * FPS)
    assert after == before


def test_chapters_are_kept(lecture):
    video, out = lecture
    with av.open(str(video)) as source, av.open(str(out)) as result:
        assert result.chapters() == source.chapters()
        titles = [c["metadata"]["title"] for c in result.chapters()]
    assert titles == ["Intro", "Saddle points"]


def test_audio_lasts_as_long_as_the_video(lecture):
    _, out = lecture
    with av.open(str(out)) as container:
        video = container.streams.video[0]
        video_seconds = float(video.duration * video.time_base)
        assert video_seconds == pytest.approx(SECONDS)
        for stream in container.streams.audio:
            seconds = float(stream.duration * stream.time_base)
            assert seconds == pytest.approx(video_seconds, abs=FRAME)
    samples, rate = audio.read(out)  # the first audio stream
    assert rate == 48000
    assert samples.size / rate == pytest.approx(video_seconds, abs=FRAME)


@pytest.mark.parametrize(("index", "language"), [(0, "eng"), (1, "chi")])
def test_narration_lands_where_placed(lecture, index, language):
    _, out = lecture
    with av.open(str(out)) as container:
        stream = container.streams.audio[index]
        assert stream.metadata["language"] == language
        frames = [f.to_ndarray()[0] for f in container.decode(stream)]
    samples = np.concatenate(frames)
    spans = audio.speech_spans(samples, 48000)
    expected = [(start, start + length) for start, length in BURSTS[language]]
    assert len(spans) == len(expected)
    for (start, end), (true_start, true_end) in zip(spans, expected, strict=True):
        assert start == pytest.approx(true_start, abs=0.02)
        assert end == pytest.approx(true_end, abs=0.02)


def read_cues(path, index):
    """Decode a subtitle stream: (start, end, text) per non-empty sample."""
    cues = []
    with av.open(str(path)) as container:
        stream = container.streams.subtitles[index]
        for packet in container.demux(stream):
            if packet.dts is None:
                continue
            for subtitle in stream.decode(packet):
                # The ASS event's text field, after 8 commas; \N is a line break.
                text = subtitle.ass.decode("utf-8").split(",", 8)[8]
                if text:
                    start = float(packet.pts * packet.time_base)
                    end = start + float(packet.duration * packet.time_base)
                    cues.append((start, end, text.replace("\\N", "\n")))
    return cues


@pytest.mark.parametrize(("index", "cues"), [(0, ENGLISH), (1, CHINESE)])
def test_subtitles_decode_to_the_cues(lecture, index, cues):
    _, out = lecture
    got = read_cues(out, index)
    assert [text.replace("\u2060", "") for _, _, text in got] == [c.text for c in cues]
    for (start, end, _), cue in zip(got, cues, strict=True):
        assert start == pytest.approx(cue.start, abs=0.001)
        assert end == pytest.approx(cue.end, abs=0.001)


def test_overlapping_cues_are_shortened(tmp_path):
    video, out = tmp_path / "v.mp4", tmp_path / "o.mp4"
    make_video(video, with_audio=False)
    cues = [Cue(1.0, 1.5, "second"), Cue(0.2, 1.2, "first"), Cue(1.6, 1.6, "none")]
    mux(video, out, subtitles=[SubtitleTrack(cues, "eng")])
    assert read_cues(out, 0) == [
        pytest.approx((0.2, 1.0, "first")),
        pytest.approx((1.0, 1.5, "second")),
    ]


def test_input_audio_is_dropped_and_remux_alone_works(tmp_path, lecture):
    video, _ = lecture
    out = tmp_path / "plain.mp4"
    mux(video, out)
    with av.open(str(out)) as container:
        assert [s.type for s in media_streams(container)] == ["video"]
    assert video_packets(out) == video_packets(video)


def test_failed_mux_leaves_the_old_output(tmp_path, monkeypatch):
    video, out = tmp_path / "v.mp4", tmp_path / "lecture.mp4"
    make_video(video)
    out.write_bytes(b"the previous lecture")
    original = mux_module._audio_packets
    seen = []

    def interrupted(*args):
        for i, packet in enumerate(original(*args)):
            if i == 20:
                # Mid-write: the partial file exists and already holds data.
                [partial] = [p for p in tmp_path.iterdir() if ".partial" in p.name]
                seen.append(partial.stat().st_size)
                raise KeyboardInterrupt
            yield packet

    monkeypatch.setattr(mux_module, "_audio_packets", interrupted)
    track = AudioTrack(narration("eng", 48000, 2.0), 48000, "eng")
    with pytest.raises(KeyboardInterrupt):
        mux(video, out, audio=[track])
    assert seen
    assert seen[0] > 0
    assert out.read_bytes() == b"the previous lecture"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lecture.mp4", "v.mp4"]

    with pytest.raises(ValueError, match="ISO 639-2"):
        mux(video, out, audio=[AudioTrack(track.samples, 48000, "English")])
    assert out.read_bytes() == b"the previous lecture"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lecture.mp4", "v.mp4"]
