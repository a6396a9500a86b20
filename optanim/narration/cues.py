"""Cues: captions placed in time, timed to their speech and checked.

A cue follows the rules of :mod:`optanim.narration.captions`; this module
times one per stretch of speech (:func:`time_cues`) and finds where cues
break the rules (:func:`check`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from optanim.narration.captions import CaptionError, rules, width, wrap

__all__ = [
    "Cue",
    "check",
    "time_cues",
]

#: Times are kept to the millisecond, so comparisons allow this much rounding.
ROUNDING = 0.001


@dataclass(frozen=True)
class Cue:
    """One caption on screen.

    Attributes
    ----------
    start, end : float
        When it appears and disappears, in seconds.
    text : str
        Its lines, joined with ``"\\n"``.
    """

    start: float
    end: float
    text: str

    @property
    def duration(self) -> float:
        """How long it is on screen, in seconds."""
        return self.end - self.start

    @property
    def lines(self) -> list[str]:
        """Its lines; none if it has no text."""
        return self.text.split("\n") if self.text else []


def timestamp(t: float, sep: str) -> str:
    ms = round(t * 1000)
    sign = "-" if ms < 0 else ""
    h, rest = divmod(abs(ms), 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{sign}{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


# --- timing -------------------------------------------------------------------


def _check_fps(fps: float) -> None:
    if not fps > 0:
        raise CaptionError(f"frame rate must be positive, not {fps!r}")


def time_cues(
    spoken: Sequence[tuple[str, float, float]], lang: str, fps: float
) -> list[Cue]:
    """Makes one cue per stretch of speech.

    A cue starts when its speech starts. It ends ``Rules.max_linger`` (0.5 s)
    after its speech ends, or 2 frames before the next speech starts if that
    is sooner, and never lasts over 7 s. That latest allowed end is also the
    one that best meets the 5/6 s minimum and the reading time at the cps
    limit, so it is always taken; where even it is too soon, the linger and
    gap rules win (speech stays on screen only while it is spoken) and
    :func:`check` reports the cue. Times are rounded to the millisecond, ends
    downward, so that a subtitle file holds them exactly.

    Parameters
    ----------
    spoken : sequence of (str, float, float)
        Each cue's text with the start and end of its speech, in seconds, in
        time order.
    lang : str
        ``"en"`` or ``"zh"``.
    fps : float
        Frame rate of the video, which sets the 2-frame gap.

    Returns
    -------
    list of Cue
        The cues, their text wrapped by :func:`wrap`.

    Raises
    ------
    CaptionError
        If a text does not fit two lines, a speech ends before it starts or
        starts before the previous one, or the next speech starts so soon that
        no cue fits.
    """
    r = rules(lang)
    _check_fps(fps)
    gap = r.min_gap_frames / fps
    items = list(spoken)
    for i, (_, start, end) in enumerate(items):
        if end < start:
            raise CaptionError(f"speech {i + 1} ends before it starts: {start}, {end}")
        if i and start < items[i - 1][1]:
            raise CaptionError(f"speech {i + 1} starts before speech {i}: {start}")
    cues = []
    for i, (text, start, end) in enumerate(items):
        lines = wrap(text, r.lang)
        latest = min(end + r.max_linger, start + r.max_duration)
        if i + 1 < len(items):
            latest = min(latest, items[i + 1][1] - gap)
        # The longest allowed is also the best for reading, so take it all.
        cue_start = round(start * 1000) / 1000
        cue_end = math.floor(latest * 1000 + 1e-6) / 1000
        if cue_end <= cue_start:
            raise CaptionError(
                f"speech {i + 1} at {timestamp(start, '.')} leaves no time for a cue "
                f"before speech {i + 2}"
            )
        cues.append(Cue(cue_start, cue_end, "\n".join(lines)))
    return cues


# --- checking -----------------------------------------------------------------


def _sec(t: float) -> str:
    return f"{t:.3f}".rstrip("0").rstrip(".") + " s"


def _rate(x: float, limit: float) -> str:
    for digits in (1, 2, 3):
        shown = f"{x:.{digits}f}"
        if float(shown) != limit:
            return shown
    return f"{x:g}"


def _frames(n: int) -> str:
    return f"{n} frame" if n == 1 else f"{n} frames"


def check(
    cues: Sequence[Cue],
    lang: str,
    fps: float,
    speech: Sequence[tuple[float, float]] | None = None,
) -> list[str]:
    """Finds where cues break the rules.

    Checks each cue's lines (count and width), its characters a second (the
    width of its whole text over its duration), its duration, its order and
    gap to the next cue, and, given the speech, its start and end against its
    speech. Time comparisons allow 1 ms of rounding.

    Parameters
    ----------
    cues : sequence of Cue
        The cues in order.
    lang : str
        ``"en"`` or ``"zh"``.
    fps : float
        Frame rate of the video, for the gap and start rules.
    speech : sequence of (float, float), optional
        The start and end of each cue's speech, in seconds, one per cue.

    Returns
    -------
    list of str
        One line a problem, such as ``cue 3 (00:00:04.200): 19.3 characters a
        second, over 17``; empty if all is well.

    Raises
    ------
    CaptionError
        If ``speech`` is not one per cue, or the frame rate is not positive.
    """
    r = rules(lang)
    _check_fps(fps)
    if speech is not None and len(speech) != len(cues):
        raise CaptionError(f"{len(speech)} speech times for {len(cues)} cues")
    gap = r.min_gap_frames / fps
    problems = []
    for n, cue in enumerate(cues, 1):

        def say(message: str, n: int = n, cue: Cue = cue) -> None:
            problems.append(f"cue {n} ({timestamp(cue.start, '.')}): {message}")

        lines = cue.lines
        if not lines:
            say("no text")
        if len(lines) > r.max_lines:
            say(f"{len(lines)} lines, over {r.max_lines}")
        for k, line in enumerate(lines, 1):
            w = width(line, r.lang)
            if w > r.max_line:
                say(f"line {k} is {w:g} characters, over {r.max_line:g}")
        if cue.start < -ROUNDING:
            say("starts before 0")
        d = cue.duration
        if d <= 0:
            say(f"ends at {timestamp(cue.end, '.')}, not after it starts")
        else:
            w = width(cue.text, r.lang)
            if w / (d + ROUNDING) > r.max_cps:
                say(
                    f"{_rate(w / d, r.max_cps)} characters a second, over {r.max_cps:g}"
                )
            if d < r.min_duration - ROUNDING:
                say(f"lasts {_sec(d)}, under {_sec(r.min_duration)}")
            if d > r.max_duration + ROUNDING:
                say(f"lasts {_sec(d)}, over {_sec(r.max_duration)}")
        if n > 1:
            before = cues[n - 2]
            if cue.start < before.start:
                say(f"starts before cue {n - 1} ({timestamp(before.start, '.')})")
            elif cue.start < before.end:
                say(f"overlaps cue {n - 1} by {_sec(before.end - cue.start)}")
            elif cue.start - before.end < gap - ROUNDING:
                say(
                    f"{_sec(cue.start - before.end)} after cue {n - 1}, under "
                    f"{_frames(r.min_gap_frames)} ({_sec(gap)})"
                )
        if speech is not None:
            said, done = speech[n - 1]
            late = cue.start - said
            if abs(late) > r.start_frames / fps + ROUNDING:
                side = "after" if late > 0 else "before"
                say(
                    f"starts {_sec(abs(late))} {side} its speech "
                    f"({timestamp(said, '.')}), over {_frames(r.start_frames)} "
                    f"({_sec(r.start_frames / fps)})"
                )
            if cue.end - done > r.max_linger + ROUNDING:
                say(
                    f"ends {_sec(cue.end - done)} after its speech "
                    f"({timestamp(done, '.')}), over {_sec(r.max_linger)}"
                )
    return problems
