"""Title and section cards: the short clips between the scenes of the lecture.

A card shows ``OPTANIM_CARD_TEXT``: its first line as a heading over a rule in
the figures' blue, any further lines as a smaller subtitle. ``OPTANIM_THEME``
picks the colours of the figures' theme. It lasts two seconds.

The lecture renders cards through the same command as the scenes, so that
their videos share size, frame rate and encoder settings and join by stream
copy. It renders all its cards in one process, to start manim once
(``python -m scenes.cards``, see :func:`render_all`).

    OPTANIM_CARD_TEXT="Local minima" manim -ql scenes/cards.py Card
"""

from __future__ import annotations

import json
import os
import sys

from manim import (
    DOWN,
    LEFT,
    ORIGIN,
    RIGHT,
    UP,
    FadeIn,
    FadeOut,
    GrowFromCenter,
    Line,
    ManimColor,
    Scene,
    Text,
    VGroup,
    config,
    tempconfig,
)
from manim.__main__ import main

from scenes.axes_view import THEMES
from scenes.encoder import OneEncoder
from scenes.figures import FONT

ACCENT = "#1f77b4"  # matplotlib's C0: the first curve of every lesson figure
DEFAULT_TEXT = "Optimization and Deep Learning\nthe challenges"


class Card(OneEncoder, Scene):
    def construct(self):
        theme = THEMES[os.environ.get("OPTANIM_THEME", "light")]
        self.camera.background_color = ManimColor(theme.background)
        heading, *rest = os.environ.get("OPTANIM_CARD_TEXT", DEFAULT_TEXT).split("\n")

        # Heading over a rule, and the subtitle under it
        title = Text(heading, font=FONT, font_size=44, color=theme.ink)
        title.scale_to_fit_width(min(title.width, config.frame_width * 0.85))
        rule = Line(LEFT, RIGHT, color=ACCENT, stroke_width=4)
        rule.set_width(title.width).next_to(title, DOWN, buff=0.3)
        words = VGroup(title)
        if rest:
            subtitle = Text(" ".join(rest), font=FONT, font_size=28, color=theme.ink)
            words.add(subtitle.next_to(rule, DOWN, buff=0.3))
        VGroup(words, rule).move_to(ORIGIN)

        # In, hold, out: two seconds, each part a whole number of frames at every
        # quality (multiples of 0.2 s), so that the clip's timestamps are regular
        self.play(FadeIn(words, shift=UP * 0.15), GrowFromCenter(rule), run_time=0.6)
        self.wait(0.8)
        self.play(FadeOut(words, rule), run_time=0.4)
        self.wait(0.2)


def render_all(renders: list[dict]) -> None:
    """Runs several ``manim`` command lines in this one process, each ``{"args":
    [...], "env": {...}}``: its arguments after ``manim``, and the environment
    variables it sets. Each starts from the same configuration."""
    for render in renders:
        os.environ.update(render["env"])
        with tempconfig({}):
            main(args=render["args"], standalone_mode=False)


if __name__ == "__main__":
    render_all(json.loads(sys.argv[1]))
