"""Cues are timed to their speech and checked against the Netflix and BBC
subtitle rules, in English and Chinese."""

from __future__ import annotations

import pytest

from optanim.narration.captions import RULES, CaptionError, wrap
from optanim.narration.cues import Cue, check, time_cues
from optanim.narration.subtitles import format_srt, format_vtt, parse_srt, parse_vtt

FPS = 24
FRAME = 1 / FPS

# A cue each language accepts: short, one line, read at 11 and 3 characters a
# second over 2 s.
GOOD = {"en": "The gradient vanishes.", "zh": "梯度消失了。"}

VANISHING_EN = [
    ("On the flat tails of tanh, the gradient is almost zero.", 0.40, 3.70),
    ("Gradient descent takes tiny steps there.", 4.20, 6.50),
    ("So training stalls,", 6.70, 7.60),
    ("even though we are far from a minimum.", 8.00, 10.10),
    ("This is the vanishing gradient problem.", 11.00, 13.30),
]

VANISHING_ZH = [
    ("在tanh的平坦尾部，梯度几乎为零。", 0.40, 3.70),
    ("梯度下降在那里只能迈出很小的步子。", 4.20, 7.40),
    ("所以训练停滞了，", 7.60, 9.00),
    ("尽管我们离最小值还很远。", 9.15, 11.60),
    ("这就是梯度消失问题。", 12.00, 14.20),
]


def cue(start: float, end: float, lang: str, text: str | None = None) -> Cue:
    return Cue(start, end, GOOD[lang] if text is None else text)


# --- check: each rule, in each language ----------------------------------------

LANGS = ["en", "zh"]


@pytest.mark.parametrize("lang", LANGS)
def test_check_passes_compliant_cues(lang):
    cues = [cue(1.0, 3.0, lang), cue(3.0 + 2 * FRAME, 5.0, lang)]
    speech = [(1.0 - 3 * FRAME, 2.5), (3.0 + 5 * FRAME, 4.5)]
    assert check(cues, lang, FPS, speech) == []


@pytest.mark.parametrize("lang", LANGS)
def test_check_passes_cues_at_every_limit(lang):
    r = RULES[lang]
    line = "x" * 42 if lang == "en" else "梯" * 16
    # two full lines, read at exactly the cps limit
    duration = 2 * r.max_line / r.max_cps
    cues = [
        Cue(0.0, 0.833, "ok" if lang == "en" else "好"),  # 5/6 s, to the ms
        Cue(0.917, 0.917 + duration, f"{line}\n{line}"),
        Cue(10.0, 17.0, line),
    ]
    speech = [(0.0, 0.333), (0.917 + 3 * FRAME, 0.417 + duration), (10.0, 16.5)]
    assert check(cues, lang, FPS, speech) == []


def only(problems: list[str], *phrases: str) -> str:
    assert len(problems) == 1, problems
    for phrase in phrases:
        assert phrase in problems[0]
    return problems[0]


@pytest.mark.parametrize("lang", LANGS)
def test_check_too_many_lines(lang):
    text = "One\nTwo\nThree" if lang == "en" else "梯度\n消失\n了"
    only(check([cue(1, 3, lang, text)], lang, FPS), "cue 1 (00:00:01.000)", "3 lines")


@pytest.mark.parametrize(
    ("lang", "text", "shown"),
    [
        ("en", "a" * 20 + " " + "b" * 22, "43 characters, over 42"),
        ("zh", "梯" * 16 + "x", "16.5 characters, over 16"),
        ("zh", "梯" * 17, "17 characters, over 16"),
    ],
)
def test_check_line_too_wide(lang, text, shown):
    problem = only(check([cue(1, 5, lang, "ok\n" + text)], lang, FPS), shown)
    assert "line 2 is" in problem


@pytest.mark.parametrize(
    ("lang", "text", "shown"),
    [
        ("en", "The gradient vanishes, fast.", "28.0 characters a second, over 17"),
        ("zh", "梯度消失了，训练就停滞。", "12.0 characters a second, over 9"),
        ("zh", "用tanh(x)激活函数后梯度消失", "13.5 characters a second, over 9"),
    ],
)
def test_check_reading_speed(lang, text, shown):
    only(check([cue(2, 3, lang, text)], lang, FPS), "cue 1 (00:00:02.000)", shown)


def test_check_reading_speed_counts_latin_as_half_in_chinese():
    latin, cjk = "gradient descent", "梯度下降梯度下降梯度下降梯度下降"
    assert check([cue(0, 1, "zh", latin)], "zh", FPS) == []  # 8 a second
    only(check([cue(0, 1, "zh", cjk)], "zh", FPS), "16.0 characters a second")


def test_check_message_matches_the_documented_form():
    cues = [
        cue(0.0, 2.0, "en"),
        cue(2.5, 4.0, "en"),
        Cue(4.2, 5.7, "a" * 14 + " " + "b" * 14),  # 29 characters in 1.5 s
    ]
    assert check(cues, "en", FPS) == [
        "cue 3 (00:00:04.200): 19.3 characters a second, over 17"
    ]


@pytest.mark.parametrize("lang", LANGS)
def test_check_too_short(lang):
    text = "Yes." if lang == "en" else "是。"
    only(check([cue(1, 1.5, lang, text)], lang, FPS), "lasts 0.5 s, under 0.833 s")


@pytest.mark.parametrize("lang", LANGS)
def test_check_too_long(lang):
    only(check([cue(1, 8.5, lang)], lang, FPS), "lasts 7.5 s, over 7 s")


@pytest.mark.parametrize("lang", LANGS)
def test_check_ends_before_it_starts(lang):
    only(check([cue(3, 2, lang)], lang, FPS), "not after it starts")


@pytest.mark.parametrize("lang", LANGS)
def test_check_gap_under_two_frames(lang):
    cues = [cue(1, 3, lang), cue(3 + FRAME, 5, lang)]
    problem = only(check(cues, lang, FPS), "cue 2 (00:00:03.042)", "under 2 frames")
    assert "after cue 1" in problem
    # at 60 fps one 24 fps frame is over 2 frames
    assert check(cues, lang, 60) == []


@pytest.mark.parametrize("lang", LANGS)
def test_check_overlap(lang):
    cues = [cue(1, 3, lang), cue(2.75, 5, lang)]
    only(check(cues, lang, FPS), "cue 2 (00:00:02.750): overlaps cue 1 by 0.25 s")


@pytest.mark.parametrize("lang", LANGS)
def test_check_order(lang):
    cues = [cue(5, 7, lang), cue(1, 3, lang)]
    only(check(cues, lang, FPS), "cue 2 (00:00:01.000): starts before cue 1")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("offset", "side"), [(4 * FRAME, "after"), (-0.2, "before")])
def test_check_start_against_speech(lang, offset, side):
    problems = check([cue(1 + offset, 3, lang)], lang, FPS, [(1.0, 2.8)])
    only(problems, f"{side} its speech (00:00:01.000)", "over 3 frames (0.125 s)")


@pytest.mark.parametrize("lang", LANGS)
def test_check_end_against_speech(lang):
    problems = check([cue(1, 3.2, lang)], lang, FPS, [(1.0, 2.5)])
    only(problems, "ends 0.7 s after its speech (00:00:02.500), over 0.5 s")


def test_check_allows_a_millisecond_of_rounding():
    cues = [cue(1.0, 3.0, "en"), cue(3.0 + 2 * FRAME - 0.001, 5.0, "en")]
    speech = [(1.0 + 3 * FRAME + 0.001, 2.4995), (3.0 + 2 * FRAME, 4.5)]
    assert check(cues, "en", FPS, speech) == []


def test_check_wants_one_speech_per_cue():
    with pytest.raises(CaptionError, match="1 speech times for 2 cues"):
        check([cue(1, 3, "en"), cue(4, 6, "en")], "en", FPS, [(1, 3)])


def test_check_reports_every_problem_of_a_cue():
    problems = check([Cue(1, 1.5, "x" * 43 + "\nb\nc")], "en", FPS, [(0.5, 0.7)])
    assert len(problems) == 6  # lines, width, cps, duration, start, end


# --- time_cues ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "spoken"), [("en", VANISHING_EN), ("zh", VANISHING_ZH)]
)
@pytest.mark.parametrize("fps", [24, 25, 30, 60])
def test_time_cues_obey_the_rules(lang, spoken, fps):
    cues = time_cues(spoken, lang, fps)
    speech = [(start, end) for _, start, end in spoken]
    assert check(cues, lang, fps, speech) == []
    assert check(parse_srt(format_srt(cues)), lang, fps, speech) == []
    for (text, start, _), c in enumerate_pairs(spoken, cues):
        assert c.start == start
        assert c.text == "\n".join(wrap(text, lang))
    # and the files hold the times exactly
    assert parse_vtt(format_vtt(cues)) == cues


def enumerate_pairs(spoken, cues):
    assert len(spoken) == len(cues)
    return zip(spoken, cues, strict=True)


def test_time_cues_ends_half_a_second_after_speech_or_two_frames_before_the_next():
    cues = time_cues(VANISHING_EN, "en", 24)
    # room to linger: 0.5 s after the speech
    assert cues[0].end == 4.116  # 2 frames before 4.20, to the ms below
    assert cues[1].end == 6.616  # 2 frames before 6.70, sooner than 7.00
    assert cues[3].end == 10.6  # 0.5 s after 10.10
    assert cues[4].end == 13.8  # the last cue lingers 0.5 s
    assert cues[0].text == "On the flat tails of tanh,\nthe gradient is almost zero."


def test_time_cues_never_lasts_over_seven_seconds():
    (c,) = time_cues([("A slow and very long sentence.", 1.0, 7.8)], "en", 24)
    assert c.end == 8.0


def test_time_cues_lets_linger_win_over_the_minimum_duration():
    spoken = [("Yes.", 1.0, 1.2), ("And then we go on.", 3.0, 4.5)]
    cues = time_cues(spoken, "en", 24)
    assert cues[0].end == 1.7  # 0.7 s: the 0.5 s rule wins over 5/6 s
    speech = [(s, e) for _, s, e in spoken]
    only(check(cues, "en", 24, speech), "cue 1 (00:00:01.000): lasts 0.7 s")


def test_time_cues_refuses_what_cannot_be_timed():
    with pytest.raises(CaptionError, match="does not fit"):
        time_cues([("word " * 20, 0.0, 5.0)], "en", 24)
    with pytest.raises(CaptionError, match="starts before speech 1"):
        time_cues([("a", 2.0, 3.0), ("b", 1.0, 1.5)], "en", 24)
    with pytest.raises(CaptionError, match="ends before it starts"):
        time_cues([("a", 2.0, 1.0)], "en", 24)
    with pytest.raises(CaptionError, match="no time for a cue"):
        time_cues([("a", 1.0, 1.2), ("b", 1.05, 2.0)], "en", 24)
