"""Cues are written to and read from SubRip and WebVTT files, and a file's
cues are checked."""

from __future__ import annotations

import pytest

from optanim.narration.captions import CaptionError
from optanim.narration.cues import Cue
from optanim.narration.subtitles import (
    check_file,
    format_srt,
    format_vtt,
    parse_srt,
    parse_vtt,
)

FPS = 24
FRAME = 1 / FPS

CUES = [
    Cue(1.25, 3.5, "The gradient\nvanishes."),
    Cue(3.6, 4.999, "Tom & Jerry <3 -> tanh"),
    Cue(3661.001, 3667.0, "梯度消失了。"),
]


def test_srt_text():
    assert format_srt(CUES[:2]) == (
        "1\n00:00:01,250 --> 00:00:03,500\nThe gradient\nvanishes.\n\n"
        "2\n00:00:03,600 --> 00:00:04,999\nTom & Jerry <3 -> tanh\n"
    )


def test_vtt_text():
    text = format_vtt(CUES)
    assert text.startswith("WEBVTT\n\n")
    assert "00:00:01.250 --> 00:00:03.500\nThe gradient\nvanishes.\n" in text
    assert "Tom &amp; Jerry &lt;3 -&gt; tanh" in text
    assert "01:01:01.001 --> 01:01:07.000" in text


@pytest.mark.parametrize(
    ("fmt", "parse"), [(format_srt, parse_srt), (format_vtt, parse_vtt)]
)
def test_round_trip(fmt, parse):
    assert parse(fmt(CUES)) == CUES
    assert fmt(parse(fmt(CUES))) == fmt(CUES)
    # times are kept to the millisecond
    rounded = parse(fmt([Cue(0.1 + 0.2, 1.00049, "a"), Cue(2.0004, 3.0006, "b")]))
    assert [(c.start, c.end) for c in rounded] == [(0.3, 1.0), (2.0, 3.001)]
    assert parse(fmt([])) == []


def test_parse_srt_accepts_what_editors_write():
    text = (
        "\ufeff1\r\n00:00:01,000 --> 00:00:02,500\r\n<i>Hello</i>\r\nthere\r\n\r\n"
        "00:00:03.000 --> 00:00:04,000 X1:0\r\n{\\an8}No number\r\n\r\n\r\n"
    )
    assert parse_srt(text) == [
        Cue(1.0, 2.5, "Hello\nthere"),
        Cue(3.0, 4.0, "No number"),
    ]


def test_parse_vtt_skips_notes_and_settings():
    text = (
        "WEBVTT - lecture\nKind: captions\n\nNOTE written by hand\n\n"
        "STYLE\n::cue { color: yellow }\n\n"
        "intro\n00:01.000 --> 00:02.500 align:start line:0\n"
        "<v Lecturer><c.yellow>Hello</c> &amp; welcome\n"
    )
    assert parse_vtt(text) == [Cue(1.0, 2.5, "Hello & welcome")]


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [
        (parse_vtt, "1\n00:00:01.000 --> 00:00:02.000\nhi\n", "WEBVTT"),
        (parse_srt, "1\nnot a time\nhi\n", "line 1: no timing line"),
        (parse_vtt, "WEBVTT\n\n00:00:01.000 -> 00:00:02.000\nhi\n", "line 3"),
    ],
)
def test_parse_errors_name_the_line(parse, text, message):
    with pytest.raises(CaptionError, match=message):
        parse(text)


def test_format_refuses_what_a_file_cannot_hold():
    with pytest.raises(CaptionError, match="blank line"):
        format_srt([Cue(0, 1, "one\n\nthree")])
    with pytest.raises(CaptionError, match="negative"):
        format_vtt([Cue(-1, 1, "early")])


@pytest.mark.parametrize("suffix", [".srt", ".vtt"])
def test_check_file(tmp_path, suffix):
    cues = [Cue(1, 3, "梯度消失了。"), Cue(3 + FRAME, 6, "梯度" * 9)]
    path = tmp_path / f"lecture.zh{suffix}"
    path.write_text((format_vtt if suffix == ".vtt" else format_srt)(cues), "utf-8")
    problems = check_file(path, "zh", FPS)
    assert len(problems) == 2
    assert problems[0].endswith("line 1 is 18 characters, over 16")
    assert problems[1].endswith("after cue 1, under 2 frames (0.083 s)")
    path.write_text("WEBVTT\n\nnonsense\n", "utf-8")
    with pytest.raises(CaptionError, match="lecture.zh"):
        check_file(path, "zh", FPS)
