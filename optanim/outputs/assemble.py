"""Join rendered clips into one narrated lecture with chapters and subtitles.

The clips of a lecture (section cards and scenes) all come from manim at the
same quality, so they share size, frame rate and encoder settings. They are
joined by stream copy with PyAV, without decoding or re-encoding a frame:
the packets of each clip are shifted by the length of the clips before it.

Each part with a title starts a chapter, which runs until the next titled
part. Each scene's ``.narration.json`` says when its lines are spoken: the
lecture places the same speech on its own clock, in one AAC track at 48 kHz
normalized to -16 LUFS with true peaks at most -1 dBTP, and times one subtitle
cue per line from the speech (:func:`optanim.narration.cues.time_cues`).
The cues go into the MP4 as a ``mov_text`` track tagged with the language, and
beside it as ``.srt`` and ``.vtt``.

Every file is written under a temporary name in the output folder and moved
into place at the end, so an interrupted run leaves the previous lecture as
it was.

Examples
--------
>>> from pathlib import Path
>>> parts = [
...     Part(Path("cards/Intro.mp4"), title="Introduction"),
...     Part.from_clip(Path("videos/Intro.mp4")),
... ]
>>> join_clips(parts, Path("build/lecture.mp4"))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from optanim.build.files import written_in_place
from optanim.narration import audio
from optanim.narration.cues import Cue, time_cues
from optanim.narration.subtitles import format_srt, format_vtt
from optanim.outputs.mux import AudioTrack, SubtitleTrack, mux

__all__ = ["Joined", "Part", "join_clips"]

_CHAPTER_TIME_BASE = Fraction(1, 1000)
AUDIO_RATE = 48_000
LOUDNESS_LUFS, TRUE_PEAK_DBTP = -16.0, -1.0
# AAC at 128 kb/s lifts true peaks by about 0.3 dB: limit a decibel below.
PEAK_BEFORE_AAC = TRUE_PEAK_DBTP - 1.0
ISO_639_2 = {"en": "eng", "zh": "chi"}  # the language tags of MP4 tracks


@dataclass(frozen=True)
class Part:
    """One clip of a lecture.

    Parameters
    ----------
    path : Path
        The MP4 clip.
    title : str or None
        Title of the chapter that starts with this clip, or None when the
        clip continues the chapter before it.
    narration : Path or None
        What the clip says and when (``.narration.json``), relative to its start.
    """

    path: Path
    title: str | None = None
    narration: Path | None = None

    @classmethod
    def from_clip(cls, path: Path, title: str | None = None) -> Part:
        """A part whose narration, if any, lies beside the clip.

        Examples
        --------
        >>> Part.from_clip(Path("missing.mp4"), "Intro")
        Part(path=PosixPath('missing.mp4'), title='Intro', narration=None)
        """
        narration = path.with_name(path.stem + ".narration.json")
        return cls(path, title, narration if narration.is_file() else None)


@dataclass(frozen=True)
class Spoken:
    """One line on the lecture's clock: its caption, span and speech file."""

    caption: str
    start: float
    end: float
    speech: Path | None


@dataclass(frozen=True)
class Joined:
    """What was joined: the lines spoken, their cues, and the audio's level."""

    spoken: list[Spoken]
    cues: list[Cue]
    lufs: float
    true_peak: float


@dataclass(frozen=True)
class _Clip:
    """What joining needs to know about one clip."""

    path: Path
    kind: tuple[str, int, int, str, Fraction]
    extradata: bytes
    start: Fraction
    end: Fraction


def _describe(kind: tuple[str, int, int, str, Fraction]) -> str:
    codec, width, height, pix_fmt, rate = kind
    return f"{codec} {pix_fmt} {width}x{height} at {rate} fps"


def _probe(path: Path) -> _Clip:
    """Read a clip's video format and time span, without decoding it."""
    with av.open(str(path)) as container:
        if not container.streams.video:
            raise ValueError(f"{path} has no video stream")
        stream = container.streams.video[0]
        context = stream.codec_context
        kind = (
            context.name,
            context.width,
            context.height,
            context.pix_fmt,
            # The nominal rate: manim's joins of partial movies leave timestamps
            # a few ticks off, which skews the average rate (15.0016 for 15).
            stream.guessed_rate,
        )
        starts, ends = [], []
        for packet in container.demux(stream):
            if packet.pts is not None:
                starts.append(packet.pts)
                ends.append(packet.pts + packet.duration)
        if not starts:
            raise ValueError(f"{path} has no video frames")
        time_base = stream.time_base
        return _Clip(
            path,
            kind,
            bytes(context.extradata or b""),
            min(starts) * time_base,
            max(ends) * time_base,
        )


def _check_alike(clips: list[_Clip]) -> None:
    """Raise ValueError unless every clip can be stream-copied after the first."""
    first = clips[0]
    for clip in clips[1:]:
        if clip.kind != first.kind:
            raise ValueError(
                f"cannot join {clip.path} ({_describe(clip.kind)}) after "
                f"{first.path} ({_describe(first.kind)}): all clips must share "
                "codec, pixel format, size and frame rate; render them at the "
                "same quality"
            )
        if clip.extradata != first.extradata:
            raise ValueError(
                f"cannot join {clip.path} after {first.path}: they were encoded "
                "with different settings; render them with the same manim version "
                "and quality"
            )


def _chapters(parts: list[Part], starts: list[Fraction], end: Fraction) -> list:
    """One chapter per titled part, each running until the next title."""
    titled = [
        (p.title, s) for p, s in zip(parts, starts, strict=True) if p.title is not None
    ]
    bounds = [s for _, s in titled[1:]] + [end]
    return [
        {
            "id": n,
            "start": round(start / _CHAPTER_TIME_BASE),
            "end": round(stop / _CHAPTER_TIME_BASE),
            "time_base": _CHAPTER_TIME_BASE,
            "metadata": {"title": title},
        }
        for n, ((title, start), stop) in enumerate(zip(titled, bounds, strict=True), 1)
    ]


def _write_video(
    clips: list[_Clip], starts: list[Fraction], chapters: list, path: Path
) -> None:
    """Stream-copy the clips one after another into ``path``."""
    options = {"movflags": "+faststart"}
    with av.open(str(path), "w", format="mp4", options=options) as output:
        stream = None
        for clip, start in zip(clips, starts, strict=True):
            with av.open(str(clip.path)) as source:
                video = source.streams.video[0]
                if stream is None:
                    stream = output.add_stream_from_template(video)
                    output.set_chapters(chapters)
                shift = round((start - clip.start) / video.time_base)
                for packet in source.demux(video):
                    if packet.dts is None:
                        continue
                    packet.dts += shift
                    if packet.pts is not None:
                        packet.pts += shift
                    packet.stream = stream
                    output.mux(packet)


def _spoken(parts: list[Part], starts: list[Fraction]) -> dict[str, list[Spoken]]:
    """Every part's lines on the lecture's clock, by language, in the order the
    clips give the languages (the first is the lecture's default)."""
    spoken: dict[str, list[Spoken]] = {}
    for part, start in zip(parts, starts, strict=True):
        if part.narration is None:
            continue
        record = json.loads(part.narration.read_text(encoding="utf-8"))
        langs = [track["lang"] for track in record["tracks"]]
        if spoken and langs != list(spoken):
            raise ValueError(
                f"{part.path.name} is narrated in {','.join(langs)}, "
                f"the clips before it in {','.join(spoken)}"
            )
        offset = float(start)
        for track in record["tracks"]:
            for line in track["lines"]:
                speech = Path(line["speech"]) if line["speech"] else None
                begin, stop = line["start"] + offset, line["end"] + offset
                spoken.setdefault(track["lang"], []).append(
                    Spoken(line["caption"], begin, stop, speech)
                )
    return spoken


def _narration_track(spoken: list[Spoken], seconds: float) -> np.ndarray:
    """The lines' speech, placed on one track and normalized."""
    segments = [
        (line.start, audio.read(line.speech, AUDIO_RATE)[0])
        for line in spoken
        if line.speech is not None
    ]
    track = audio.place(segments, seconds, AUDIO_RATE)
    return audio.normalize(track, AUDIO_RATE, LOUDNESS_LUFS, PEAK_BEFORE_AAC)


def captions_path(out: Path, lang: str, first: bool, suffix: str) -> Path:
    """Where the captions of ``lang`` go beside ``out``: ``.srt`` and ``.vtt``
    for the first language, ``.<lang>.srt`` and ``.<lang>.vtt`` for others."""
    return out.with_name(out.stem + ("" if first else f".{lang}") + suffix)


def join_clips(parts: list[Part], out: Path) -> dict[str, Joined]:
    """Join clips into one MP4 with chapters, narration and subtitles.

    Parameters
    ----------
    parts : list of Part
        The clips in playing order. Each part with a title starts a chapter.
    out : Path
        The lecture to write. Each language it is narrated in gets an audio
        and a subtitle track, tagged with the language, the first of them the
        default, and its captions beside it (see :func:`captions_path`).

    Returns
    -------
    dict
        Language to :class:`Joined`: the lines, cues and the loudness of the
        narration as decoded from ``out``.

    Raises
    ------
    ValueError
        If there are no parts, the clips differ in codec, pixel format, size,
        frame rate, encoder settings or languages, or a clip cannot be read.
    """
    if not parts:
        raise ValueError("no clips to join")
    clips = [_probe(part.path) for part in parts]
    _check_alike(clips)

    starts = [Fraction(0)]
    for clip in clips:
        starts.append(starts[-1] + clip.end - clip.start)
    end = starts.pop()
    chapters = _chapters(parts, starts, end)
    fps = float(clips[0].kind[4])
    spoken = _spoken(parts, starts)
    cues = {
        lang: time_cues(
            [(line.caption, line.start, line.end) for line in lines], lang, fps
        )
        for lang, lines in spoken.items()
    }
    tracks = [
        AudioTrack(_narration_track(lines, float(end)), AUDIO_RATE, ISO_639_2[lang])
        for lang, lines in spoken.items()
    ]
    subtitles = [SubtitleTrack(cues[lang], ISO_639_2[lang]) for lang in spoken]

    out.parent.mkdir(parents=True, exist_ok=True)
    video = out.with_name(f".{out.stem}.{os.getpid()}.video.mp4")
    try:
        _write_video(clips, starts, chapters, video)
        mux(video, out, tracks, subtitles)
    finally:
        video.unlink(missing_ok=True)
    for suffix in (".srt", ".vtt"):  # no stale captions of an earlier lecture
        for stale in out.parent.glob(f"{out.stem}*{suffix}"):
            if stale.name[len(out.stem)] in ".":
                stale.unlink()
    for n, (lang, lang_cues) in enumerate(cues.items()):
        for suffix, text in (
            (".srt", format_srt(lang_cues)),
            (".vtt", format_vtt(lang_cues)),
        ):
            with written_in_place(captions_path(out, lang, n == 0, suffix)) as temp:
                temp.write_text(text, encoding="utf-8")
    joined = {}
    for n, lang in enumerate(spoken):  # as a player hears it: decoded from the file
        heard, rate = audio.read(out, track=n)
        joined[lang] = Joined(
            spoken[lang],
            cues[lang],
            audio.integrated_loudness(heard, rate),
            audio.true_peak(heard, rate),
        )
    return joined
