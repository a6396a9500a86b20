"""Captions are counted, wrapped and split by the Netflix and BBC subtitle
rules, in English and Chinese."""

from __future__ import annotations

import dataclasses

import pytest

from optanim.narration.captions import (
    RULES,
    CaptionError,
    rules,
    split,
    width,
    wrap,
)

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
