"""Beats whose length follows their narration: a mixin for lesson slides.

A beat is one slide of the deck and a run of spoken lines. ``beat(id)`` opens
it and starts its first line after a short lead-in; ``say()`` starts the next
line now, or as soon as the line before it has been said, so that a scene can
put a sentence on the animation it names; ``say(ending_in=t)`` starts it so
that it ends ``t`` seconds from now, as a moving ball comes to rest. A beat
lasts the longer of its animations and its speech plus a tail: the next beat
waits for it.

Each line's caption becomes one subtitle cue, from when its speech starts to
at most half a second after it ends (:func:`optanim.narration.cues.time_cues`).
Beside the video the render writes ``.srt`` and ``.vtt`` files and a
``.narration.json`` of when each line is spoken, which the lecture and the
deck use to place the same speech.

Narrated in several languages (``OPTANIM_LANG=en,zh``), a beat's k-th lines
start together and last as long as the longest of them: one timeline serves
every language. The video carries the first language's speech; the others'
captions go beside it as ``<name>.<lang>.srt`` and ``.vtt``.

    with words from optanim/narration/words/<lang>.toml:

    self.beat("left")                       # opens the slide, says line 1
    self.play(FadeIn(ball), run_time=0.5)
    self.say()                              # line 2, during the descent
    self.say(ending_in=roll_time)           # line 3 ends as the ball stops
    self.descend(ball, path, (f, grad_f))
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from manim import config

from optanim.lesson import params
from optanim.narration import script, subtitles, words
from optanim.narration.cues import Cue, time_cues
from optanim.narration.script import Timed

LEAD_IN = 0.4  # seconds of picture before a beat's first words
GAP = 0.3  # between two lines of a beat
TAIL = 0.6  # after a beat's last words, before the next slide


Slot = tuple[Timed, ...]  # one line in every language, said together


def _seconds(slot: Slot) -> float:
    return max(timed.seconds for timed in slot)


@dataclass
class _Beat:
    id: str
    start: float
    unsaid: list[Slot]
    said: list[tuple[Slot, float]] = field(default_factory=list)  # (lines, start)

    @property
    def speech_end(self) -> float:
        if not self.said:
            return self.start
        slot, start = self.said[-1]
        return start + _seconds(slot)


def or_exit(resolve, *args, **kwargs):
    """``resolve(...)``, or one line on stderr and exit status 2 for a bad setting
    (a plain ``manim`` run says it as ``optanim`` would)."""
    try:
        return resolve(*args, **kwargs)
    except (params.ParamError, words.WordsError) as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)


def _mismatch(scene, beat_id, narrations, timed):
    counts = ", ".join(
        f"{n.lang} {len(lines)}" for n, lines in zip(narrations, timed, strict=True)
    )
    raise words.WordsError(
        f"{scene}.{beat_id} has a different number of lines per language ({counts})"
    )


class Narrated:
    """Mixin for a manim-slides ``Slide`` whose beats are spoken.

    Needs ``spec_name`` (the scene's name in the words files) and ``params``
    (its :class:`~optanim.lesson.params.SceneParams`) before :meth:`beat`.
    """

    def setup_narration(self) -> None:
        media = Path(config.media_dir)
        self.narrations = or_exit(script.resolve, media=media)
        self.words = [or_exit(words.load, n.lang) for n in self.narrations]
        self._speech_cache = self.narrations[0].cache
        self._beat: _Beat | None = None
        self._beats: list[_Beat] = []
        self._rendered: tuple[float, float] | None = None  # scene times on video

    def play(self, *args, **kwargs) -> None:
        start = self.time
        super().play(*args, **kwargs)
        if not self.renderer.skip_animations:  # on the video, unlike ``-n``'s skips
            first = start if self._rendered is None else self._rendered[0]
            self._rendered = (first, self.time)

    # -- storyboard ----------------------------------------------------------
    def beat(self, beat_id: str) -> None:
        """Ends the beat before, opens a slide for ``beat_id`` and says its first
        line after a short lead-in."""
        self._end_beat()
        values = self.params.narration_values(beat_id)
        beats = [
            or_exit(said.beat, self.spec_name, beat_id, values) for said in self.words
        ]
        self.next_slide(notes=beats[0].caption)  # notes belong to the slide this opens
        timed = [
            [narration.timed(line, self._speech_cache) for line in beat.lines]
            for narration, beat in zip(self.narrations, beats, strict=True)
        ]
        if len({len(lines) for lines in timed}) > 1:
            or_exit(_mismatch, self.spec_name, beat_id, self.narrations, timed)
        self._beat = _Beat(beat_id, self.time, list(zip(*timed, strict=True)))
        self._beats.append(self._beat)
        self.say()

    def say(self, ending_in: float | None = None) -> float:
        """Starts the beat's next line: now, or when the line before it has been
        said. With ``ending_in``, no sooner than it takes to end that many
        seconds from now. Returns how long the line lasts (0 when every line
        of the beat has been said)."""
        beat = self._beat
        if not beat.unsaid:
            return 0.0
        slot = beat.unsaid.pop(0)
        seconds = _seconds(slot)
        if beat.said:
            # A cue must end two frames before the next: at very low frame
            # rates, that needs a longer pause than GAP.
            gap = max(GAP, 2.5 / config.frame_rate)
            start = max(self.time, beat.speech_end + gap)
        else:
            start = self.time + LEAD_IN
        if ending_in is not None:
            start = max(start, self.time + ending_in - seconds)
        beat.said.append((slot, start))
        return seconds

    def until_said(self) -> None:
        """Holds the picture until every line started so far has been said."""
        if self._beat is not None and self._beat.speech_end > self.time:
            self.wait(self._beat.speech_end - self.time)

    def finish(self, hold: float = 1.0) -> None:
        """Ends the last beat and holds the last frame, so that the video ends
        on the figure."""
        self._end_beat()
        self.wait(hold)
        self.add_speech()

    def add_speech(self) -> None:
        """Hands manim the first language's speech and captions, on the clock of
        the video: from the first animation it renders (``-n`` may skip some) to
        the last. WebM and GIF clips stay silent: manim muxes WebM sound as
        Vorbis, which PyAV's FFmpeg lacks, and a GIF has none."""
        if self._rendered is None:
            return
        first, last = self._rendered
        writer = self.renderer.file_writer
        for timed, start in self.spoken():
            if timed.path is None or not first <= start < last:
                continue
            if config.movie_file_extension == ".mp4":
                writer.add_sound(str(timed.path), time=start - first)
        for cue in self.cues():
            if first <= cue.start < last:
                self.add_subcaption(
                    cue.text,
                    duration=min(cue.end, last) - cue.start,
                    offset=cue.start - first - self.time,
                )

    def _end_beat(self) -> None:
        beat = self._beat
        if beat is None:
            return
        while beat.unsaid:
            self.say()
        remaining = beat.speech_end + TAIL - self.time
        if remaining > 1e-6:
            self.wait(remaining)
        self._beat = None

    # -- what was said, for the files beside the video ------------------------
    def spoken(self, language: int = 0) -> list[tuple[Timed, float]]:
        """Every line said in the ``language``-th language, with its start."""
        return [
            (slot[language], start) for beat in self._beats for slot, start in beat.said
        ]

    def cues(self, language: int = 0) -> list[Cue]:
        spoken = [
            (timed.line.caption, start, start + timed.seconds)
            for timed, start in self.spoken(language)
        ]
        lang = self.narrations[language].lang
        return time_cues(spoken, lang, config.frame_rate)

    def write_narration(self, movie: Path) -> None:
        """Writes the captions and ``.narration.json`` beside ``movie``: ``.vtt``
        for the first language (manim writes its ``.srt``), ``.<lang>.srt`` and
        ``.<lang>.vtt`` for each further one."""
        tracks = []
        for n, narration in enumerate(self.narrations):
            cues = self.cues(n)
            stem = movie.stem if n == 0 else f"{movie.stem}.{narration.lang}"
            vtt = subtitles.format_vtt(cues)
            movie.with_name(stem + ".vtt").write_text(vtt, "utf-8")
            if n:
                srt = subtitles.format_srt(cues)
                movie.with_name(stem + ".srt").write_text(srt, "utf-8")
            lines = [
                {
                    "id": timed.line.id,
                    "caption": timed.line.caption,
                    "start": start,
                    "end": start + timed.seconds,
                    "speech": str(timed.path) if timed.path else None,
                }
                for timed, start in self.spoken(n)
            ]
            voice = narration.voice.name
            tracks.append({"lang": narration.lang, "voice": voice, "lines": lines})
        beats = [{"id": beat.id, "start": beat.start} for beat in self._beats]
        record = {"beats": beats, "tracks": tracks}
        path = movie.with_name(movie.stem + ".narration.json")
        path.write_text(json.dumps(record, indent=1, ensure_ascii=False), "utf-8")
