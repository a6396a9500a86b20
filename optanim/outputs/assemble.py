"""Join rendered clips into one lecture video with chapters and subtitles.

The clips of a lecture (section cards and scenes) all come from manim at the
same quality, so they share size, frame rate and encoder settings. They are
joined by stream copy with PyAV, without decoding or re-encoding a frame:
the packets of each clip are shifted by the length of the clips before it.

Each part with a title starts a chapter, which runs until the next titled
part. The parts' subtitle files, which manim writes beside a clip when a
scene calls ``add_subcaption``, are merged into one ``.srt`` beside the
lecture. Only the video stream of each clip is copied.

Both files are written under temporary names in the output folder and moved
into place at the end, so an interrupted run leaves the previous lecture as
it was.

Examples
--------
>>> from pathlib import Path
>>> parts = [
...     Part(Path("cards/Intro.mp4"), title="Introduction"),
...     Part(Path("videos/Intro.mp4"), srt=Path("videos/Intro.srt")),
... ]
>>> join_clips(parts, Path("build/lecture.mp4"))  # doctest: +SKIP
PosixPath('build/lecture.mp4')
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

__all__ = ["Cue", "Part", "format_srt", "join_clips", "parse_srt"]

_TIME = re.compile(r"(\d+):(\d{2}):(\d{2})[,.](\d{3})")
_CHAPTER_TIME_BASE = Fraction(1, 1000)


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
    srt : Path or None
        Subtitles of the clip, with times relative to its start.
    """

    path: Path
    title: str | None = None
    srt: Path | None = None

    @classmethod
    def from_clip(cls, path: Path, title: str | None = None) -> Part:
        """Make a part whose subtitles, if any, lie beside the clip.

        Parameters
        ----------
        path : Path
            The MP4 clip; manim writes its subtitles as ``<stem>.srt``.
        title : str or None
            Title of the chapter that starts with this clip.

        Returns
        -------
        Part
            The part, with ``srt`` set when ``<stem>.srt`` exists.

        Examples
        --------
        >>> Part.from_clip(Path("missing.mp4"), "Intro")
        Part(path=PosixPath('missing.mp4'), title='Intro', srt=None)
        """
        srt = path.with_suffix(".srt")
        return cls(path, title, srt if srt.is_file() else None)


@dataclass(frozen=True)
class Cue:
    """One subtitle: text shown from ``start_ms`` to ``end_ms``."""

    start_ms: int
    end_ms: int
    text: str


def _parse_time(text: str) -> int:
    match = _TIME.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not an SRT time: {text!r}")
    hours, minutes, seconds, millis = (int(g) for g in match.groups())
    return ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis


def _format_time(ms: int) -> str:
    seconds, millis = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d},{millis:03d}"


def parse_srt(text: str) -> list[Cue]:
    """Read the cues of an SRT file.

    Parameters
    ----------
    text : str
        Contents of the file. Cue numbers are ignored.

    Returns
    -------
    list of Cue
        The cues in file order.

    Examples
    --------
    >>> parse_srt("1\\n00:00:01,500 --> 00:00:02,000\\nHello\\n")
    [Cue(start_ms=1500, end_ms=2000, text='Hello')]
    """
    cues = []
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip())
    for block in blocks:
        lines = block.split("\n")
        timing = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if timing is None:
            continue
        start, end = lines[timing].split("-->")
        body = "\n".join(lines[timing + 1 :]).strip()
        cues.append(Cue(_parse_time(start), _parse_time(end), body))
    return cues


def format_srt(cues: list[Cue]) -> str:
    """Write cues as SRT text, numbered from 1.

    Parameters
    ----------
    cues : list of Cue
        The cues, in the order they are shown.

    Returns
    -------
    str
        The SRT text.

    Examples
    --------
    >>> print(format_srt([Cue(0, 1250, "Hi")]), end="")
    1
    00:00:00,000 --> 00:00:01,250
    Hi
    """
    return "\n".join(
        f"{n}\n{_format_time(c.start_ms)} --> {_format_time(c.end_ms)}\n{c.text}\n"
        for n, c in enumerate(cues, start=1)
    )


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


def _merged_cues(parts: list[Part], starts: list[Fraction], end: Fraction) -> list:
    """The parts' cues on the lecture's clock, each kept within its own part."""
    cues = []
    stops = starts[1:] + [end]
    for part, start, stop in zip(parts, starts, stops, strict=True):
        if part.srt is None:
            continue
        offset, limit = round(start * 1000), round(stop * 1000)
        for cue in parse_srt(part.srt.read_text(encoding="utf-8-sig")):
            begin = cue.start_ms + offset
            if begin < limit:
                cues.append(Cue(begin, min(cue.end_ms + offset, limit), cue.text))
    return cues


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


def join_clips(parts: list[Part], out: Path) -> Path:
    """Join clips into one MP4 with chapters, and merge their subtitles.

    Parameters
    ----------
    parts : list of Part
        The clips in playing order. Each part with a title starts a chapter.
    out : Path
        The lecture to write. Its subtitles go to ``out.with_suffix(".srt")``
        when any part has some; otherwise a stale ``.srt`` there is removed.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    ValueError
        If there are no parts, or the clips differ in codec, pixel format,
        size, frame rate or encoder settings.
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
    cues = _merged_cues(parts, starts, end)

    out.parent.mkdir(parents=True, exist_ok=True)
    srt = out.with_suffix(".srt")
    tmp_video = out.with_name(f".{out.name}.part")
    tmp_srt = srt.with_name(f".{srt.name}.part")
    try:
        _write_video(clips, starts, chapters, tmp_video)
        if cues:
            tmp_srt.write_text(format_srt(cues), encoding="utf-8")
        os.replace(tmp_video, out)
        if cues:
            os.replace(tmp_srt, srt)
        else:
            srt.unlink(missing_ok=True)
    finally:
        tmp_video.unlink(missing_ok=True)
        tmp_srt.unlink(missing_ok=True)
    return out
