"""Title and section cards: the short clips between the scenes of the lecture.

A card shows ``OPTANIM_CARD_TEXT``: its first line as a heading over a rule in
the figures' blue, any further lines as a smaller subtitle. ``OPTANIM_THEME``
picks the colours of the figures' theme. It lasts two seconds.

The lecture renders cards through the same command as the scenes, so that
their videos share size, frame rate and encoder settings and join by stream
copy.

    OPTANIM_CARD_TEXT="Local minima" manim -ql scenes/title_card.py Card
"""

import os

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
)

from optanim.lesson import settings
from optanim.lesson.figures import FONT
from optanim.lesson.params import theme_setting
from optanim.render.internals import OneEncoder
from optanim.render.theme import ACCENT, THEMES, font_for

DEFAULT_TEXT = "Optimization and Deep Learning\nthe challenges"


class Card(OneEncoder, Scene):
    def construct(self):
        theme = THEMES[theme_setting()]
        self.camera.background_color = ManimColor(theme.background)
        heading, *rest = os.environ.get(settings.CARD_TEXT, DEFAULT_TEXT).split("\n")

        # Heading over a rule, and the subtitle under it
        title = Text(
            heading, font=font_for(heading, FONT), font_size=44, color=theme.ink
        )
        title.scale_to_fit_width(min(title.width, config.frame_width * 0.85))
        rule = Line(LEFT, RIGHT, color=ACCENT, stroke_width=4)
        rule.set(width=title.width).next_to(title, DOWN, buff=0.3)
        words = VGroup(title)
        if rest:
            line = " ".join(rest)
            subtitle = Text(
                line, font=font_for(line, FONT), font_size=28, color=theme.ink
            )
            words.add(subtitle.next_to(rule, DOWN, buff=0.3))
        VGroup(words, rule).move_to(ORIGIN)

        # In, hold, out: two seconds, each part a whole number of frames at every
        # quality (multiples of 0.2 s), so that the clip's timestamps are regular
        self.play(FadeIn(words, shift=UP * 0.15), GrowFromCenter(rule), run_time=0.6)
        self.wait(0.8)
        self.play(FadeOut(words, rule), run_time=0.4)
        self.wait(0.2)
