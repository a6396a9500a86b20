"""Every voice, end to end, on one scene at the lowest quality.

The recorded voice reads tone files written here, one per line of the script
``optanim script`` writes; what the scene says is then checked against the
tones' lengths, by ear (energy in the decoded audio)."""

from __future__ import annotations

import csv
import io
import os
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import av
import numpy as np
import pytest

from optanim import cli
from optanim.lesson.catalog import SceneEntry
from optanim.narration import audio, subtitles

TINY = ["-q", "low", "--resolution", "128,72", "--fps", "5"]
SCENE = "local_minimum"


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out), redirect_stderr(out):
        status = cli.main(list(argv))
    return status, out.getvalue()


@pytest.fixture
def one_scene(monkeypatch):
    monkeypatch.setattr(SceneEntry, "exists", property(lambda s: s.name == SCENE))


def script_ids(lang: str = "en") -> list[tuple[str, float]]:
    status, output = run("script", "--lang", lang, "--media-dir", "media")
    assert status == 0, output
    with Path(f"media/script/{lang}.csv").open() as table:
        rows = list(csv.DictReader(table))
    return [(row["id"], float(row["seconds"])) for row in rows]


def heard(video: Path) -> tuple[np.ndarray, int, list]:
    """The decoded sound of ``video``, and its cues."""
    samples, rate = audio.read(video)
    cues = subtitles.parse_srt(video.with_suffix(".srt").read_text())
    return samples, rate, cues


def clip() -> Path:
    """The scene's MP4, wherever optanim keeps its renders under ``media``."""
    (found,) = Path("media").glob("**/videos/local_minimum/72p5/LocalMinimum.mp4")
    return found


def test_recorded_voice_speaks_the_lecturers_files(tmp_path, one_scene):
    folder = tmp_path / "narration"
    folder.mkdir()
    ids = [line_id for line_id, _ in script_ids() if line_id.startswith(SCENE)]
    rate = 44_100
    lengths = {}
    for n, line_id in enumerate(ids):  # tones of distinct lengths, as WAV and FLAC
        seconds = 1.0 + 0.1 * n
        t = np.arange(round(seconds * rate)) / rate
        tone = (0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32)
        suffix = ".flac" if n % 2 else ".wav"
        write(folder / f"{line_id}{suffix}", tone, rate)
        lengths[line_id] = seconds
    status, output = run("render", SCENE, *TINY, "--voice", f"recorded:{folder}")
    assert status == 0, output
    samples, rate, cues = heard(clip())
    spans = audio.speech_spans(samples, rate)
    assert len(spans) == len(ids)  # one tone per line, nothing else
    assert [b - a for a, b in spans] == pytest.approx(list(lengths.values()), abs=0.03)
    for (a, _), cue in zip(spans, cues, strict=True):  # each cue with its line
        assert a == pytest.approx(cue.start, abs=0.05)


def write(path: Path, samples: np.ndarray, rate: int) -> None:
    codec = "flac" if path.suffix == ".flac" else "pcm_s16le"
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(
            samples[None, :], format="flt", layout="mono"
        )
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
        container.mux(stream.encode(None))


def test_missing_recordings_are_named_in_one_line(tmp_path, one_scene, capsys):
    folder = tmp_path / "empty"
    folder.mkdir()
    assert cli.main(["render", SCENE, *TINY, "--voice", f"recorded:{folder}"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "no recording for" in err
    assert f"{SCENE}.curve.1" in err


def test_no_voice_is_silent_and_times_the_captions_for_reading(one_scene):
    status, output = run("render", SCENE, *TINY, "--voice", "none")
    assert status == 0, output
    with av.open(str(clip())) as container:
        assert not container.streams.audio  # nothing to hear
    cues = subtitles.parse_srt(clip().with_suffix(".srt").read_text())
    assert len(cues) == len([i for i, _ in script_ids() if i.startswith(SCENE)])
    for cue in cues:  # long enough to read at 15 characters a second
        assert cue.end - cue.start >= len(cue.text.replace("\n", " ")) / 15 - 0.001


def test_espeak_speaks_chinese(one_scene):
    status, output = run("lecture", *TINY, "--lang", "zh")
    assert status == 0, output
    samples, rate, cues = heard(Path("media/lecture/low/lecture_zh.mp4"))
    with av.open("media/lecture/low/lecture_zh.mp4") as container:
        assert container.streams.audio[0].metadata["language"] == "chi"
    spans = audio.speech_spans(samples, rate)
    for cue in cues:
        onset = min((a for a, _ in spans), key=lambda a: abs(a - cue.start))
        assert onset == pytest.approx(cue.start, abs=0.05)
    assert subtitles.check_file(Path("media/lecture/low/lecture_zh.srt"), "zh", 5) == []
    assert os.environ["OPTANIM_VOICE"] == "espeak"


def test_a_clip_speaks_unless_muted():
    for extra, name, streams in (
        ([], "local_minimum.mp4", {"video", "audio"}),
        (["--mute"], "local_minimum_mute.mp4", {"video"}),
    ):
        status, output = run("clips", SCENE, *TINY, *extra)
        assert status == 0, output
        with av.open(f"media/clips/low/{name}") as container:
            assert {s.type for s in container.streams} - {"data"} == streams
