"""Subtitle files: cues written and read as SubRip and WebVTT, and checked.

Both formats hold times to the millisecond. :func:`check_file` reads either
and checks its cues by :func:`optanim.narration.cues.check`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from pathlib import Path

from optanim.narration.captions import CaptionError, quote
from optanim.narration.cues import Cue, check, timestamp

__all__ = [
    "check_file",
    "format_srt",
    "format_vtt",
    "parse_srt",
    "parse_vtt",
]


def _block_lines(cue: Cue, n: int) -> list[str]:
    if cue.start < 0 or cue.end < 0:
        raise CaptionError(f"cue {n} has a negative time: {cue.start}, {cue.end}")
    lines = cue.lines
    if any(not line.strip() or "-->" in line for line in lines):
        raise CaptionError(f"cue {n} has a blank line or '-->': {quote(cue.text)}")
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
        timing = f"{timestamp(cue.start, ',')} --> {timestamp(cue.end, ',')}"
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
        timing = f"{timestamp(cue.start, '.')} --> {timestamp(cue.end, '.')}"
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
