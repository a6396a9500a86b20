"""Captions: how the lecture's words are cut, wrapped, timed and checked.

The rules follow the Netflix timed-text style guides (general, English and
Simplified Chinese) and the BBC subtitle guidelines:

* a cue lasts from 5/6 s to 7 s, and at least 2 frames separate two cues;
* a cue has at most 2 lines;
* a cue starts within 3 frames of its speech and ends at most 0.5 s after it;
* English: at most 42 characters a line and 17 characters a second;
* Simplified Chinese: at most 16 characters a line and 9 characters a second,
  where Latin letters, digits, spaces and half-width punctuation count as half
  a character, and CJK characters and full-width punctuation as one.

Everything here is plain Python, so that scripts can be checked without
rendering anything.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "RULES",
    "CaptionError",
    "Cue",
    "Rules",
    "check",
    "check_file",
    "format_srt",
    "format_vtt",
    "parse_srt",
    "parse_vtt",
    "rules",
    "split",
    "time_cues",
    "width",
    "wrap",
]

#: Times are kept to the millisecond, so comparisons allow this much rounding.
ROUNDING = 0.001


class CaptionError(ValueError):
    """A caption that cannot be made to follow the rules, or a file not read."""


@dataclass(frozen=True)
class Rules:
    """The subtitle rules of one language.

    Attributes
    ----------
    lang : str
        Language code, ``"en"`` or ``"zh"``.
    max_line : float
        Most characters a line, counted by :func:`width`.
    max_cps : float
        Most characters a second, counted by :func:`width` over the whole cue.
    half_width : bool
        Whether Latin letters, digits, spaces and half-width punctuation count
        as half a character (Chinese).
    sentence_ends : str
        Marks that end a sentence, where :func:`split` cuts first.
    clause_marks : str
        Marks that end a clause, where :func:`split` cuts next.
    punctuation_pull : float
        How many characters of imbalance :func:`wrap` accepts to break a line
        after a clause or sentence mark rather than elsewhere.
    max_lines : int
        Most lines a cue.
    min_duration, max_duration : float
        Shortest and longest a cue may last, in seconds.
    min_gap_frames : int
        Fewest frames between the end of a cue and the start of the next.
    start_frames : int
        How many frames a cue may start before or after its speech.
    max_linger : float
        How long, in seconds, a cue may stay after its speech ends.
    """

    lang: str
    max_line: float
    max_cps: float
    half_width: bool
    sentence_ends: str
    clause_marks: str
    punctuation_pull: float
    max_lines: int = 2
    min_duration: float = 5 / 6
    max_duration: float = 7.0
    min_gap_frames: int = 2
    start_frames: int = 3
    max_linger: float = 0.5


RULES: dict[str, Rules] = {
    "en": Rules(
        lang="en",
        max_line=42,
        max_cps=17,
        half_width=False,
        sentence_ends=".!?…",
        clause_marks=";:,—",
        punctuation_pull=8,
    ),
    "zh": Rules(
        lang="zh",
        max_line=16,
        max_cps=9,
        half_width=True,
        sentence_ends="。！？…!?.",
        clause_marks="；：，、—;:,",
        # Any break after a mark beats any inside a run of characters, which
        # may be inside a word: Chinese is not written with spaces.
        punctuation_pull=16,
    ),
}

# Chinese line breaking: no line starts with a closing mark, none ends with an
# opening one.
_CLOSING = "，。！？；：、）》」』”’〕】〉…—·%,.!?;:)]}"
_OPENING = "（《「『“‘〔【〈([{"
# Closing quotes and brackets that may follow a sentence or clause mark.
_TRAILERS = "”’」』）》〕】〉\"')]}"


def rules(lang: str) -> Rules:
    """The rules of a language.

    Parameters
    ----------
    lang : str
        ``"en"`` or ``"zh"``; a region or script suffix (``"zh-CN"``,
        ``"zh_Hans"``, ``"en-GB"``) is ignored.

    Returns
    -------
    Rules
        The language's entry in :data:`RULES`.

    Raises
    ------
    CaptionError
        If there are no rules for the language.
    """
    key = re.split(r"[-_]", lang, maxsplit=1)[0].lower()
    try:
        return RULES[key]
    except KeyError:
        known = ", ".join(sorted(RULES))
        raise CaptionError(f"no caption rules for {lang!r}; known: {known}") from None


# --- counting ---------------------------------------------------------------


def _char_width(ch: str, half_width: bool) -> float:
    if ch in "\n\r" or unicodedata.combining(ch):
        return 0.0
    if unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0.0
    if not half_width:
        return 1.0
    eaw = unicodedata.east_asian_width(ch)
    if eaw in ("W", "F"):
        return 1.0
    # Ambiguous marks (“ ” ‘ ’ — … ·) are set full-width in Chinese text.
    if eaw == "A" and unicodedata.category(ch)[0] in "PS":
        return 1.0
    return 0.5


def width(text: str, lang: str) -> float:
    """How many characters a caption counts for, by the language's rules.

    Parameters
    ----------
    text : str
        The caption; line breaks do not count.
    lang : str
        ``"en"`` or ``"zh"``.

    Returns
    -------
    float
        For English, one per character. For Chinese, one per CJK character or
        full-width mark and a half per Latin letter, digit, space or half-width
        mark, so ``width("梯度消失", "zh") == 4`` and
        ``width("tanh(x)", "zh") == 3.5``. Combining and zero-width characters
        count for nothing.
    """
    half = rules(lang).half_width
    return sum(_char_width(ch, half) for ch in text)


def _normalize(text: str, r: Rules) -> str:
    """Collapses white space; in Chinese drops it between two CJK characters."""
    parts = text.split()
    if not parts:
        return ""
    out = [parts[0]]
    for part in parts[1:]:
        wide = r.half_width and (
            _char_width(out[-1][-1], True) == 1 and _char_width(part[0], True) == 1
        )
        out.append(part if wide else " " + part)
    return "".join(out)


# --- line breaking ------------------------------------------------------------


def _breaks(s: str, r: Rules) -> list[tuple[int, int]]:
    """Where a normalized caption may break: the first line is ``s[:a]`` and
    the second ``s[b:]`` for every ``(a, b)``."""
    out = []
    for k in range(1, len(s)):
        a, b = s[k - 1], s[k]
        if b == " ":
            out.append((k, k + 1))
        elif a == " ":
            continue
        elif not r.half_width:
            # English breaks at spaces, and after a dash that joins two words.
            if a == "—" and b != "—":
                out.append((k, k))
        elif _char_width(a, True) == 0.5 and _char_width(b, True) == 0.5:
            continue  # inside a run of Latin letters, digits and marks
        elif b in _CLOSING or a in _OPENING:
            continue
        else:
            out.append((k, k))
    return out


def _ends_with(line: str, marks: str) -> bool:
    line = line.rstrip(_TRAILERS)
    return bool(line) and line[-1] in marks


def _wrap(s: str, r: Rules) -> list[str] | None:
    """Lines of a normalized caption, or None if it does not fit."""
    if not s:
        return []
    widths = [_char_width(ch, r.half_width) for ch in s]
    total = sum(widths)
    if total <= r.max_line:
        return [s]
    prefix = [0.0]
    for w in widths:
        prefix.append(prefix[-1] + w)
    marks = r.sentence_ends + r.clause_marks
    best = None
    for a, b in _breaks(s, r):
        w1, w2 = prefix[a], total - prefix[b]
        if w1 > r.max_line or w2 > r.max_line:
            continue
        cost = abs(w1 - w2)
        if _ends_with(s[:a], marks):
            cost -= r.punctuation_pull
        # Balanced first; of two equally good, the shorter line on top.
        key = (cost, w1 > w2, a)
        if best is None or key < best[0]:
            best = (key, a, b)
    if best is None:
        return None
    _, a, b = best
    return [s[:a], s[b:]]


def _quote(s: str, most: int = 60) -> str:
    return repr(s if len(s) <= most else s[: most - 1] + "…")


def wrap(text: str, lang: str) -> list[str]:
    """Breaks a caption into at most two lines, each within the line limit.

    A caption that fits one line stays on one line. Otherwise the break makes
    the two lines as even as it can, but a break after a sentence or clause
    mark is preferred when it is at most ``Rules.punctuation_pull`` characters
    less even; of two equally good breaks, the one with the shorter top line is
    taken. English breaks only at spaces (or after a dash between two words),
    never inside a word. Chinese breaks between any two characters, except
    inside a run of Latin letters and digits such as ``tanh(x)``, before a
    closing mark such as ``，`` or after an opening one such as ``（``.

    Parameters
    ----------
    text : str
        The caption. Runs of white space, line breaks included, count as one
        space; in Chinese, white space between two CJK characters is dropped.
    lang : str
        ``"en"`` or ``"zh"``.

    Returns
    -------
    list of str
        One or two lines; none for an empty caption.

    Raises
    ------
    CaptionError
        If the caption cannot fit in two lines; :func:`split` it first.
    """
    r = rules(lang)
    s = _normalize(text, r)
    lines = _wrap(s, r)
    if lines is None:
        raise CaptionError(
            f"{r.lang} caption of {width(s, r.lang):g} characters does not fit in "
            f"{r.max_lines} lines of {r.max_line:g}: {_quote(s)}"
        )
    return lines


# --- splitting ----------------------------------------------------------------


def _cuts(s: str, r: Rules, level: int) -> list[tuple[int, int]]:
    """Break points that end a sentence (level 0), a clause (1) or a word (2)."""
    points = _breaks(s, r)
    if level >= 2:
        return points
    marks = r.sentence_ends if level == 0 else r.sentence_ends + r.clause_marks
    return [(a, b) for a, b in points if _ends_with(s[:a], marks)]


def _split(s: str, r: Rules, level: int, fits: dict[str, bool]) -> list[str]:
    def fit(piece: str) -> bool:
        if piece not in fits:
            fits[piece] = _wrap(piece, r) is not None
        return fits[piece]

    if fit(s):
        return [s]
    if level > 2:
        raise CaptionError(
            f"{r.lang} caption has a word too long for a line of "
            f"{r.max_line:g}: {_quote(s)}"
        )
    cuts = _cuts(s, r, level)
    if not cuts:
        return _split(s, r, level + 1, fits)
    starts = [0] + [b for _, b in cuts]
    ends = [a for a, _ in cuts] + [len(s)]
    n = len(starts)
    longest = r.max_lines * r.max_line
    # best[j]: the fewest and most even pieces for units 0..j-1, as
    # (count, sum of squared widths, pieces).
    best: list[tuple[int, float, list[str]] | None] = [None] * (n + 1)
    best[0] = (0, 0.0, [])
    for j in range(1, n + 1):
        for i in range(j - 1, -1, -1):
            piece = s[starts[i] : ends[j - 1]]
            if j - i == 1 and not fit(piece):
                pieces = _split(piece, r, level + 1, fits)
            elif fit(piece):
                pieces = [piece]
            elif width(piece, r.lang) > longest:
                break
            else:
                continue
            before = best[i]
            assert before is not None
            count = before[0] + len(pieces)
            spread = before[1] + sum(width(p, r.lang) ** 2 for p in pieces)
            current = best[j]
            if current is None or (count, spread) < current[:2]:
                best[j] = (count, spread, before[2] + pieces)
    result = best[n]
    assert result is not None
    return result[2]


def split(text: str, lang: str) -> list[str]:
    """Splits a caption into pieces that each fit two lines.

    Cuts fall at sentence ends first, then at clause marks (``; : , —``, and
    in Chinese ``。！？；：，、``), and only inside a clause that is too long
    by itself at word boundaries (in Chinese, between characters where a line
    may break). At each level the pieces are as few as possible and, of as
    few, as even as possible.

    Parameters
    ----------
    text : str
        The caption, normalized as by :func:`wrap`.
    lang : str
        ``"en"`` or ``"zh"``.

    Returns
    -------
    list of str
        The pieces in order, each fitting :func:`wrap`; ``[text]`` if the text
        fits already, and none for an empty caption.

    Raises
    ------
    CaptionError
        If a single word is longer than a line.
    """
    r = rules(lang)
    s = _normalize(text, r)
    if not s:
        return []
    return _split(s, r, 0, {})


# --- cues and files -----------------------------------------------------------


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


def _stamp(t: float, sep: str) -> str:
    ms = round(t * 1000)
    sign = "-" if ms < 0 else ""
    h, rest = divmod(abs(ms), 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{sign}{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _block_lines(cue: Cue, n: int) -> list[str]:
    if cue.start < 0 or cue.end < 0:
        raise CaptionError(f"cue {n} has a negative time: {cue.start}, {cue.end}")
    lines = cue.lines
    if any(not line.strip() or "-->" in line for line in lines):
        raise CaptionError(f"cue {n} has a blank line or '-->': {_quote(cue.text)}")
    return lines


def format_srt(cues: Iterable[Cue]) -> str:
    """Writes cues as SubRip.

    Parameters
    ----------
    cues : iterable of Cue
        The cues, numbered from 1 in the order given.

    Returns
    -------
    str
        The file's text, times to the millisecond (``00:00:01,250``).

    Raises
    ------
    CaptionError
        If a cue has a negative time, a blank line or ``-->`` in its text.
    """
    blocks = []
    for n, cue in enumerate(cues, 1):
        lines = _block_lines(cue, n)
        timing = f"{_stamp(cue.start, ',')} --> {_stamp(cue.end, ',')}"
        blocks.append("\n".join([str(n), timing, *lines]) + "\n")
    return "\n".join(blocks)


def format_vtt(cues: Iterable[Cue]) -> str:
    """Writes cues as WebVTT.

    Parameters
    ----------
    cues : iterable of Cue
        The cues, given identifiers from 1 in the order given.

    Returns
    -------
    str
        The file's text, starting with ``WEBVTT``, times to the millisecond
        (``00:00:01.250``), and ``&``, ``<`` and ``>`` escaped.

    Raises
    ------
    CaptionError
        If a cue has a negative time, a blank line or ``-->`` in its text.
    """
    blocks = ["WEBVTT\n"]
    for n, cue in enumerate(cues, 1):
        lines = _block_lines(cue, n)
        timing = f"{_stamp(cue.start, '.')} --> {_stamp(cue.end, '.')}"
        escaped = [
            line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            for line in lines
        ]
        blocks.append("\n".join([str(n), timing, *escaped]) + "\n")
    return "\n".join(blocks)


_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{2})[,.](\d{3})"
_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}(?:\s.*)?$")
_SRT_TAGS = re.compile(r"</?(?:[ibu]|font)(?:\s[^>]*)?>|\{\\[^}]*\}", re.IGNORECASE)
_VTT_TAGS = re.compile(r"<[^>]*>")


def _seconds(h: str | None, m: str, s: str, ms: str) -> float:
    return (int(h or 0) * 3_600_000 + int(m) * 60_000 + int(s) * 1000 + int(ms)) / 1000


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    """Blocks of non-blank lines, each with the number of its first line."""
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    for number, line in enumerate(lines.split("\n"), 1):
        if line.strip():
            if not current:
                blocks.append((number, current))
            current.append(line)
        else:
            current = []
    return blocks


def _cue(number: int, block: list[str], kind: str, tags: re.Pattern[str]) -> Cue:
    # The timing line comes first, or after the cue's number or identifier.
    matches = [_TIMING.match(line) for line in block[:2]]
    k = 0 if matches[0] else 1
    match = matches[k] if k < len(matches) else None
    if match is None:
        raise CaptionError(f"{kind} line {number}: no timing line in {block[0]!r}")
    g = match.groups()
    start, end = _seconds(*g[:4]), _seconds(*g[4:])
    body = [tags.sub("", line) for line in block[k + 1 :]]
    if kind == "WebVTT":
        body = [html.unescape(line) for line in body]
    return Cue(start, end, "\n".join(body))


def parse_srt(text: str) -> list[Cue]:
    """Reads SubRip.

    Parameters
    ----------
    text : str
        The file's text. A byte order mark, CRLF line ends, a missing cue
        number and ``.`` for ``,`` in times are accepted; ``<i>``, ``<b>``,
        ``<u>``, ``<font>`` and ``{\\an8}`` tags are dropped.

    Returns
    -------
    list of Cue
        The cues in file order.

    Raises
    ------
    CaptionError
        If a block has no timing line.
    """
    return [_cue(n, block, "SubRip", _SRT_TAGS) for n, block in _blocks(text)]


def parse_vtt(text: str) -> list[Cue]:
    """Reads WebVTT.

    Parameters
    ----------
    text : str
        The file's text. ``NOTE``, ``STYLE`` and ``REGION`` blocks, cue
        identifiers and cue settings are skipped, tags such as ``<i>`` or
        ``<c.yellow>`` dropped and character references unescaped. Hours may
        be left out of times.

    Returns
    -------
    list of Cue
        The cues in file order.

    Raises
    ------
    CaptionError
        If the text does not start with ``WEBVTT``, or a cue has no timing.
    """
    blocks = _blocks(text)
    if not blocks or not re.match(r"WEBVTT(?:[ \t].*)?$", blocks[0][1][0]):
        raise CaptionError("WebVTT line 1: the file does not start with 'WEBVTT'")
    cues = []
    for number, block in blocks[1:]:
        if "-->" not in block[0] and re.match(r"(NOTE|STYLE|REGION)\b", block[0]):
            continue
        cues.append(_cue(number, block, "WebVTT", _VTT_TAGS))
    return cues


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
                f"speech {i + 1} at {_stamp(start, '.')} leaves no time for a cue "
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
            problems.append(f"cue {n} ({_stamp(cue.start, '.')}): {message}")

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
            say(f"ends at {_stamp(cue.end, '.')}, not after it starts")
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
                say(f"starts before cue {n - 1} ({_stamp(before.start, '.')})")
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
                    f"({_stamp(said, '.')}), over {_frames(r.start_frames)} "
                    f"({_sec(r.start_frames / fps)})"
                )
            if cue.end - done > r.max_linger + ROUNDING:
                say(
                    f"ends {_sec(cue.end - done)} after its speech "
                    f"({_stamp(done, '.')}), over {_sec(r.max_linger)}"
                )
    return problems


def check_file(path: str | Path, lang: str, fps: float) -> list[str]:
    """Reads a subtitle file and checks its cues.

    Parameters
    ----------
    path : str or Path
        A ``.vtt`` or ``.srt`` file; a file that starts with ``WEBVTT`` is
        read as WebVTT whatever its name.
    lang : str
        ``"en"`` or ``"zh"``.
    fps : float
        Frame rate of the video.

    Returns
    -------
    list of str
        The problems :func:`check` finds, without the speech rules.

    Raises
    ------
    CaptionError
        If the file cannot be parsed.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8-sig")
    vtt = path.suffix.lower() == ".vtt" or text.lstrip().startswith("WEBVTT")
    try:
        cues = parse_vtt(text) if vtt else parse_srt(text)
    except CaptionError as error:
        raise CaptionError(f"{path}: {error}") from None
    return check(cues, lang, fps)
