"""The colours of everything that is not data: the d2l look, and a dark one."""

from __future__ import annotations

from dataclasses import dataclass

from optanim.lesson.params import THEME_NAMES

ACCENT = "#1f77b4"  # matplotlib's C0: the first curve of every lesson figure
CJK_FONT = "Noto Sans CJK SC"  # Debian's fonts-noto-cjk, for the Chinese edition
BALL_COLORS = ("#ff7f0e", "#2ca02c")  # matplotlib's C1 and C2


@dataclass(frozen=True)
class Theme:
    """Colours of everything that is not data."""

    background: str
    ink: str
    legend_edge: str


LIGHT = Theme(background="#ffffff", ink="#000000", legend_edge="#cccccc")
DARK = Theme(background="#000000", ink="#ffffff", legend_edge="#555555")
THEMES = {"light": LIGHT, "dark": DARK}
assert tuple(THEMES) == THEME_NAMES


def font_for(text: str, latin: str) -> str:
    """``latin``, or :data:`CJK_FONT` for text with Chinese characters in it."""
    if any(
        "\u2e80" <= char <= "\u9fff" or "\uff00" <= char <= "\uffef" for char in text
    ):
        return CJK_FONT
    return latin
