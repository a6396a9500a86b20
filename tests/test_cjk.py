"""The Chinese edition's cards: every character has a glyph in the CJK font.

Asked of Pango itself, through its C API (the library manim's ``Text`` sets text
with): which font a description loads, and how many glyphs of a text it cannot
find there (``pango_layout_get_unknown_glyphs_count``).
"""

import ctypes
import ctypes.util

import pytest
from conftest import last_frame

from optanim.narration import words
from optanim.render.theme import CJK_FONT, font_for

pango = ctypes.CDLL(ctypes.util.find_library("pango-1.0"))
pangocairo = ctypes.CDLL(ctypes.util.find_library("pangocairo-1.0"))
for name, restype in (
    ("pango_font_description_from_string", ctypes.c_void_p),
    ("pango_font_map_create_context", ctypes.c_void_p),
    ("pango_layout_new", ctypes.c_void_p),
    ("pango_context_load_font", ctypes.c_void_p),
    ("pango_font_describe", ctypes.c_void_p),
    ("pango_font_description_get_family", ctypes.c_char_p),
    ("pango_layout_get_unknown_glyphs_count", ctypes.c_int),
):
    getattr(pango, name).restype = restype
pango.pango_font_map_create_context.argtypes = [ctypes.c_void_p]
pango.pango_layout_new.argtypes = [ctypes.c_void_p]
pango.pango_context_load_font.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
pango.pango_font_describe.argtypes = [ctypes.c_void_p]
pango.pango_font_description_get_family.argtypes = [ctypes.c_void_p]
pango.pango_layout_set_text.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
pango.pango_layout_set_font_description.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
pango.pango_layout_get_unknown_glyphs_count.argtypes = [ctypes.c_void_p]
pangocairo.pango_cairo_font_map_get_default.restype = ctypes.c_void_p

CONTEXT = pango.pango_font_map_create_context(
    pangocairo.pango_cairo_font_map_get_default()
)


def loaded_family(font: str) -> str:
    description = pango.pango_font_description_from_string(f"{font} 44".encode())
    loaded = pango.pango_context_load_font(CONTEXT, description)
    return pango.pango_font_description_get_family(
        pango.pango_font_describe(loaded)
    ).decode()


def unknown_glyphs(text: str, font: str) -> int:
    layout = pango.pango_layout_new(CONTEXT)
    description = pango.pango_font_description_from_string(f"{font} 44".encode())
    pango.pango_layout_set_font_description(layout, description)
    encoded = text.encode()
    pango.pango_layout_set_text(layout, encoded, len(encoded))
    return pango.pango_layout_get_unknown_glyphs_count(layout)


def card_texts(lang: str) -> list[str]:
    said = words.load(lang)
    lecture = said.lecture
    parts = [lecture["part"].format(n=n, total=5) for n in range(1, 6)]
    return [lecture["title"], lecture["subtitle"], *said.titles.values(), *parts]


def test_the_cjk_font_is_installed_and_is_what_pango_loads():
    assert loaded_family(CJK_FONT) == CJK_FONT, "apt install fonts-noto-cjk"


@pytest.mark.parametrize("text", card_texts("zh"))
def test_no_glyph_of_a_chinese_card_is_missing(text):
    font = font_for(text, "DejaVu Sans")
    assert font == CJK_FONT
    assert unknown_glyphs(text, font) == 0


def test_the_check_can_fail():
    assert unknown_glyphs("\ue000\ue001", CJK_FONT) == 2  # private use: no glyph
    assert font_for("Local minima", "DejaVu Sans") == "DejaVu Sans"


def test_a_chinese_card_draws_its_text(monkeypatch):
    from scenes.title_card import Card

    said = words.load("zh").lecture
    monkeypatch.setenv("OPTANIM_CARD_TEXT", f"{said['title']}\n{said['subtitle']}")

    class Held(Card):  # the card at its middle: the words on screen
        def play(self, *animations, **kwargs):
            if not any("FadeOut" in type(a).__name__ for a in animations):
                super().play(*animations, **kwargs)

    frame = last_frame(Held, 320, 180)
    ink = frame.mean(axis=2) < 128
    assert ink[60:110].mean() > 0.02  # the heading and the subtitle are drawn
