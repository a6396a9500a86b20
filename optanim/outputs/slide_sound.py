"""The narration of a deck's slides: each slide speaks its beat.

manim-slides cuts a scene into one video per slide, without sound. From the
scene's ``.narration.json``, :func:`narrated_slides` finds what is said and shown
during each slide, on the slide's clock, and :func:`speak_slides` muxes that
speech into each slide's video in place, normalized as the lecture is.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import av

from optanim.build.files import locked, written_in_place
from optanim.build.jobs import file_digest, stale_reason, stamp_for
from optanim.narration import audio, subtitles
from optanim.narration.cues import Cue
from optanim.outputs.assemble import (
    AUDIO_RATE,
    ISO_639_2,
    LOUDNESS_LUFS,
    PEAK_BEFORE_AAC,
    captions_path,
)
from optanim.outputs.mux import AudioTrack, mux


@dataclass(frozen=True)
class NarratedSlide:
    """One slide of a scene: its video, and what is said and shown during it.

    Attributes
    ----------
    file : Path
        The slide's video, as manim-slides wrote it.
    start : float
        Where the slide starts on the scene's clock, in seconds.
    seconds : float
        How long its video lasts.
    lang : str
        The first language, which the slide speaks.
    speech : tuple of (float, Path)
        Its speech files, each with its start on the slide's clock.
    cues : dict
        Language code to the captions that start in the slide, on its clock,
        the first language first.
    """

    file: Path
    start: float
    seconds: float
    lang: str
    speech: tuple[tuple[float, Path], ...]
    cues: dict[str, list[Cue]]


def _video_span(path: Path) -> tuple[float, float]:
    """Length in seconds and frame rate of the first video stream, from its
    packets (an audio track muxed in later does not change them)."""
    first, last = math.inf, -math.inf
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            if packet.pts is not None:
                first = min(first, packet.pts)
                last = max(last, packet.pts + (packet.duration or 0))
        if last <= first:
            raise ValueError(f"{path} has no video frames")
        return float((last - first) * stream.time_base), float(stream.guessed_rate)


def narrated_slides(slides_json: Path, narration: Path) -> list[NarratedSlide]:
    """The slides of one scene, each with the speech and captions of its beat.

    Parameters
    ----------
    slides_json : Path
        The scene's manim-slides presentation, ``<Scene>.json``.
    narration : Path
        The scene's ``.narration.json``; its captions (``.vtt`` for the first
        language, ``.<lang>.vtt`` for others) lie beside it.

    Raises
    ------
    ValueError
        If the scene has not one slide per beat, or the slides' videos do not
        start where the beats do (to half a frame): the slides and the
        narration come from different renders.
    """
    from manim_slides.config import PresentationConfig

    files = [s.file for s in PresentationConfig.from_file(slides_json).slides]
    record = json.loads(narration.read_text(encoding="utf-8"))
    starts = [float(beat["start"]) for beat in record["beats"]]
    if len(starts) != len(files):
        raise ValueError(
            f"{slides_json.name} has {len(files)} slides but {narration.name} "
            f"{len(starts)} beats; render the scene again"
        )
    spans = [_video_span(file) for file in files]
    clock = 0.0
    for file, start, (seconds, fps) in zip(files, starts, spans, strict=True):
        if abs(clock - start) > 0.5 / fps + 1e-3:
            raise ValueError(
                f"slide {file.name} of {slides_json.name} starts at {clock:.3f} s "
                f"but its beat at {start:.3f} s; render the scene again"
            )
        clock += seconds
    ends = [*starts[1:], math.inf]

    movie = narration.with_name(narration.name.removesuffix(".narration.json") + ".mp4")
    cues = {}
    for n, track in enumerate(record["tracks"]):
        vtt = captions_path(movie, track["lang"], n == 0, ".vtt")
        cues[track["lang"]] = subtitles.parse_vtt(vtt.read_text(encoding="utf-8"))
    first = record["tracks"][0] if record["tracks"] else {"lang": "und", "lines": []}
    lines = first["lines"]

    slides = []
    for file, start, end, (seconds, _) in zip(files, starts, ends, spans, strict=True):
        speech = tuple(
            (line["start"] - start, Path(line["speech"]))
            for line in lines
            if start <= line["start"] < end and line["speech"]
        )
        shown = {
            lang: [
                Cue(c.start - start, min(c.end - start, seconds), c.text)
                for c in lang_cues
                if start <= c.start < min(end, start + seconds)
            ]
            for lang, lang_cues in cues.items()
        }
        slides.append(NarratedSlide(file, start, seconds, first["lang"], speech, shown))
    return slides


# -- their sound ----------------------------------------------------------------
def _audio_key(slide: NarratedSlide) -> str:
    """What the sound of ``slide`` is made from, hashed."""
    made = {
        "speech": [
            [round(at, 6), str(path), file_digest(path)] for at, path in slide.speech
        ],
        "seconds": round(slide.seconds, 6),
        "rate": AUDIO_RATE,
        "lufs": LOUDNESS_LUFS,
        "peak": PEAK_BEFORE_AAC,
        "language": slide.lang,
    }
    return hashlib.sha256(json.dumps(made).encode()).hexdigest()


def speak_slides(slides: Sequence[NarratedSlide]) -> int:
    """Mux into each slide's video the speech of its beat, unless it has it.

    Each slide's speech is placed on its clock, normalized to -16 LUFS with
    true peaks at most -2 dBTP (AAC adds some), and written in place as one
    AAC track tagged with its language; a slide with no speech gets a silent
    track, so that every slide has sound. A stamp ``<file>.narration.key``
    beside each file records what it was given: a file that manim-slides
    wrote again, or whose speech changed, is given its sound again. Builds
    side by side take turns, a folder of slide files at a time.

    Returns
    -------
    int
        How many files were written.
    """
    written = 0
    for slide in slides:
        key = _audio_key(slide)
        stamp = slide.file.with_name(f"{slide.file.name}.narration.key")
        with locked(slide.file.parent / ".narration.lock"):
            if stale_reason(slide.file, stamp, key) is None:
                continue
            segments = [
                (at, audio.read(path, AUDIO_RATE)[0]) for at, path in slide.speech
            ]
            track = audio.place(segments, slide.seconds, AUDIO_RATE)
            track = audio.normalize(track, AUDIO_RATE, LOUDNESS_LUFS, PEAK_BEFORE_AAC)
            code = ISO_639_2.get(slide.lang, "und")
            mux(slide.file, slide.file, audio=[AudioTrack(track, AUDIO_RATE, code)])
            with written_in_place(stamp) as temp:
                temp.write_text(stamp_for(key, slide.file))
            written += 1
    return written
