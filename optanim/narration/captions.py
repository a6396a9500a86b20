"""Captions: the subtitle rules, and how a caption is counted, wrapped and cut.

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
rendering anything. Cues placed in time are in :mod:`optanim.narration.cues`,
subtitle files in :mod:`optanim.narration.subtitles`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "RULES",
    "CaptionError",
    "Rules",
    "rules",
    "split",
    "width",
    "wrap",
]


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


def quote(s: str, most: int = 60) -> str:
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
            f"{r.max_lines} lines of {r.max_line:g}: {quote(s)}"
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
            f"{r.max_line:g}: {quote(s)}"
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
