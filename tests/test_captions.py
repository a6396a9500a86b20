"""Captions follow the Netflix and BBC subtitle rules, in English and Chinese."""

from __future__ import annotations

import dataclasses

import pytest

from optanim.narration.captions import (
    RULES,
    CaptionError,
    Cue,
    check,
    check_file,
    format_srt,
    format_vtt,
    parse_srt,
    parse_vtt,
    rules,
    split,
    time_cues,
    width,
    wrap,
)

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


# --- rules and widths ---------------------------------------------------------


def test_rules_are_the_guides_numbers():
    en, zh = RULES["en"], RULES["zh"]
    assert (en.max_line, en.max_cps) == (42, 17)
    assert (zh.max_line, zh.max_cps) == (16, 9)
    for r in (en, zh):
        assert r.min_duration == pytest.approx(5 / 6)
        assert r.max_duration == 7
        assert r.min_gap_frames == 2
        assert r.max_lines == 2
        assert r.start_frames == 3
        assert r.max_linger == 0.5


def test_rules_are_frozen_and_found_by_region_codes():
    with pytest.raises(dataclasses.FrozenInstanceError):
        RULES["en"].max_cps = 20
    assert rules("zh-CN") is RULES["zh"]
    assert rules("zh_Hans") is RULES["zh"]
    assert rules("en-GB") is RULES["en"]
    with pytest.raises(CaptionError, match="known: en, zh"):
        rules("fr")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("梯度消失", 4),
        ("tanh(x)", 3.5),
        ("ReLU", 2),
        ("使用tanh(x)激活", 4 + 3.5),
        ("梯度 消失", 4.5),  # a space is half
        ("梯度，消失。", 6),  # full-width marks are whole
        ("“梯度”——消失……", 10),  # and so are Chinese quotes, dashes, ellipses
        ("x, y", 2),  # half-width marks are half
        ("梯度\n消失", 4),  # line breaks do not count
    ],
)
def test_width_zh(text, expected):
    assert width(text, "zh") == expected


def test_width_en_counts_characters_but_not_line_breaks():
    assert width("tanh(x)", "en") == 7
    assert width("The gradient\nvanishes.", "en") == 21
    assert width("梯度", "en") == 2


# --- wrap -------------------------------------------------------------------


def test_wrap_keeps_one_line_when_it_fits():
    line = "x" * 20 + " " + "y" * 21  # 42 characters
    assert wrap(line, "en") == [line]
    assert wrap("梯度消失" * 4, "zh") == ["梯度消失" * 4]


def test_wrap_collapses_white_space():
    assert wrap("  The   gradient\nvanishes. ", "en") == ["The gradient vanishes."]
    assert wrap("梯度\n消失", "zh") == ["梯度消失"]
    assert wrap("用 tanh\n激活", "zh") == ["用 tanh 激活"]
    assert wrap("", "en") == []


def test_wrap_balances_english_lines():
    text = "the gradient of the loss shrinks as it flows back through many layers"
    lines = wrap(text, "en")
    assert lines == [
        "the gradient of the loss shrinks as",
        "it flows back through many layers",
    ]
    widths = [len(line) for line in lines]
    assert max(widths) - min(widths) <= 3


def test_wrap_prefers_a_shorter_top_line_when_equally_balanced():
    assert wrap("aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii", "en") == [
        "aaaa bbbb cccc dddd",
        "eeee ffff gggg hhhh iiii",
    ]


SENTENCES = [
    "Gradient descent on x cos(pi x) settles in whichever minimum its start leads to.",
    "Near a saddle point the gradient vanishes though the point is no minimum.",
    "Empirical risk and expected risk differ: the training minimum is not the risk's.",
    "Antidisestablishmentarianism notwithstanding, long words stay whole.",
]


@pytest.mark.parametrize("text", SENTENCES)
def test_wrap_never_cuts_an_english_word(text):
    lines = wrap(text, "en")
    assert len(lines) == 2
    assert all(len(line) <= 42 for line in lines)
    assert " ".join(lines) == text  # broken at a space, which is dropped
    assert all(line == line.strip() for line in lines)


def test_wrap_breaks_english_after_a_clause_when_nearly_as_balanced():
    text = "When the gradient vanishes, descent crawls along the tail"
    assert wrap(text, "en") == [
        "When the gradient vanishes,",
        "descent crawls along the tail",
    ]


def test_wrap_breaks_chinese_after_punctuation():
    assert wrap("梯度消失问题，使得训练变得非常困难而且缓慢", "zh") == [
        "梯度消失问题，",
        "使得训练变得非常困难而且缓慢",
    ]
    assert wrap("在平坦区域，梯度很小，参数几乎不动，训练停滞", "zh") == [
        "在平坦区域，梯度很小，",
        "参数几乎不动，训练停滞",
    ]


def test_wrap_balances_chinese_without_punctuation():
    lines = wrap("深层网络的梯度在反向传播中逐层变小直到消失", "zh")
    # 10 and 11 characters: as even as can be, the shorter on top
    assert lines == ["深层网络的梯度在反向", "传播中逐层变小直到消失"]


def test_wrap_chinese_keeps_latin_runs_whole():
    assert wrap("激活函数tanh(x)的导数在两端趋近于零，ReLU则不会", "zh") == [
        "激活函数tanh(x)的导数在",
        "两端趋近于零，ReLU则不会",
    ]
    # the most even break would cut the word; the next-best is beside it
    assert wrap("梯度下降法gradient_descent会停滞不前呢", "zh") == [
        "梯度下降法gradient_descent",
        "会停滞不前呢",
    ]


def test_wrap_chinese_starts_no_line_with_a_closing_mark():
    # the most even break, with the shorter line on top, is before "）"
    assert wrap("甲" * 10 + "）" + "乙" * 10, "zh") == ["甲" * 10 + "）", "乙" * 10]
    assert wrap("甲" * 10 + "”" + "乙" * 10, "zh") == ["甲" * 10 + "”", "乙" * 10]


def test_wrap_chinese_ends_no_line_with_an_opening_mark():
    # the most even break is after "（"
    assert wrap("甲" * 9 + "（" + "乙" * 11, "zh") == ["甲" * 9 + "（乙", "乙" * 10]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("word " * 18, "en"),  # 89 characters
        ("x" * 43, "en"),  # one word longer than a line
        ("梯度" * 17, "zh"),  # 34 characters
        ("a" * 33, "zh"),  # 16.5 characters of one Latin word
    ],
)
def test_wrap_raises_when_two_lines_cannot_hold_it(text, lang):
    with pytest.raises(CaptionError) as info:
        wrap(text, lang)
    assert isinstance(info.value, ValueError)
    assert "\n" not in str(info.value)
    assert "does not fit in 2 lines" in str(info.value)


# --- split --------------------------------------------------------------------


def fits(piece: str, lang: str) -> bool:
    lines = wrap(piece, lang)
    limit = RULES[lang].max_line
    return 1 <= len(lines) <= 2 and all(width(x, lang) <= limit for x in lines)


def test_split_returns_short_text_whole():
    assert split("The gradient vanishes.", "en") == ["The gradient vanishes."]
    assert split("梯度消失了。", "zh") == ["梯度消失了。"]
    assert split("", "en") == []


def test_split_cuts_at_sentence_ends_first():
    text = (
        "Gradient descent follows the slope downhill. It stops where the "
        "slope is flat, at a minimum, a maximum, or a saddle."
    )
    assert split(text, "en") == [
        "Gradient descent follows the slope downhill.",
        "It stops where the slope is flat, at a minimum, a maximum, or a saddle.",
    ]


def test_split_cuts_at_clauses_before_words():
    text = (
        "Optimization is hard; local minima trap us, saddle points slow us "
        "down, and vanishing gradients stop us — all three at once."
    )
    pieces = split(text, "en")
    assert pieces == [
        "Optimization is hard; local minima trap us, saddle points slow us down,",
        "and vanishing gradients stop us — all three at once.",
    ]
    assert all(p.endswith((",", ";", ":", "—", ".")) for p in pieces)


def test_split_falls_back_to_words_only_inside_a_long_clause():
    clause = (
        "the gradient that reaches the first layers is a product of many "
        "small factors and shrinks exponentially with depth"
    )
    text = f"Look. {clause}, so nothing moves."
    pieces = split(text, "en")
    assert pieces[0] == "Look."
    assert pieces[-1] == "so nothing moves."
    assert " ".join(pieces[1:-1]) == clause + ","
    assert all(fits(p, "en") for p in pieces)
    assert " ".join(pieces) == text  # no word cut or lost


def test_split_pieces_are_few_and_even():
    words = "one two three four five six seven eight nine ten eleven twelve " * 3
    pieces = split(words, "en")
    assert len(pieces) == 3  # 191 characters need 3 pieces of at most 84
    sizes = [len(p) for p in pieces]
    assert max(sizes) - min(sizes) < 15


def test_split_chinese_at_sentence_then_clause_marks():
    text = (
        "优化很难：局部最小值会困住我们，鞍点会拖慢我们，"
        "梯度消失会让我们停下来。三者往往同时出现。"
    )
    pieces = split(text, "zh")
    assert pieces == [
        "优化很难：局部最小值会困住我们，",
        "鞍点会拖慢我们，梯度消失会让我们停下来。",
        "三者往往同时出现。",
    ]
    assert "".join(pieces) == text
    assert all(fits(p, "zh") for p in pieces)


def test_split_chinese_without_marks_cuts_between_characters():
    text = "深层网络的梯度在反向传播中逐层变小" * 3  # 51 characters, no marks
    pieces = split(text, "zh")
    assert len(pieces) == 2
    assert "".join(pieces) == text
    assert all(fits(p, "zh") for p in pieces)


def test_split_raises_on_a_word_longer_than_a_line():
    with pytest.raises(CaptionError, match="word too long"):
        split("Fine words, then " + "x" * 43, "en")


# --- files --------------------------------------------------------------------

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


@pytest.mark.parametrize("suffix", [".srt", ".vtt"])
def test_check_file(tmp_path, suffix):
    cues = [cue(1, 3, "zh"), cue(3 + FRAME, 6, "zh", "梯度" * 9)]
    path = tmp_path / f"lecture.zh{suffix}"
    path.write_text((format_vtt if suffix == ".vtt" else format_srt)(cues), "utf-8")
    problems = check_file(path, "zh", FPS)
    assert len(problems) == 2
    assert problems[0].endswith("line 1 is 18 characters, over 16")
    assert problems[1].endswith("after cue 1, under 2 frames (0.083 s)")
    path.write_text("WEBVTT\n\nnonsense\n", "utf-8")
    with pytest.raises(CaptionError, match="lecture.zh"):
        check_file(path, "zh", FPS)


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
