"""What every lesson scene shares: the figure, its theme, beats, balls and readouts.

A :class:`LessonSlide` is a manim-slides ``Slide``, so the same file renders with
``manim`` (a video with narration and subtitles) and ``manim-slides`` (a deck).
Each beat of the storyboard is one slide and a run of spoken lines
(:mod:`optanim.render.narrated`); its captions are subtitles and speaker notes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

import numpy as np
from manim import (
    DOWN,
    Circle,
    ManimColor,
    MathTypst,
    Mobject,
    UpdateFromAlphaFunc,
    VGroup,
    linear,
)
from manim_slides import Slide

from optanim.lesson import figures, params, settings
from optanim.render.figure2d import FigureLayout, FigureView, label
from optanim.render.internals import (
    OneEncoder,
    render_without_slides,
    writes_slides,
)
from optanim.render.narrated import Narrated, or_exit
from optanim.render.theme import THEMES

# A descent's ball is placed by a function of a path point, or on the curve of
# ``(fn, grad)``.
Place = Callable[[np.ndarray], None] | tuple[Callable, Callable]


@cache
def _typst_height(char: str) -> float:
    """Height of ``char`` set by Typst at manim's default font size."""
    return MathTypst(char, font_size=48).height


class LessonSlide(OneEncoder, Narrated, Slide):
    """Base of the five scenes: set ``spec_name`` and write ``construct``."""

    spec_name: str
    # Reversed copies of every slide serve only manim-slides' own player, and
    # building them decodes whole clips into memory: decks and videos need none.
    skip_reversing = True

    def __init__(self, *args, **kwargs):
        folder = os.environ.get(settings.SLIDES_DIR)
        if folder:
            kwargs.setdefault("output_folder", Path(folder))
        super().__init__(*args, **kwargs)

    def render(self, *args, **kwargs):
        if not writes_slides():
            return render_without_slides(self, *args, **kwargs)
        result = super().render(*args, **kwargs)
        self.write_narration(Path(self.renderer.file_writer.movie_file_path))
        return result

    def setup(self) -> None:
        super().setup()
        self.params = or_exit(params.for_render, self.spec_name)
        self.theme = THEMES[self.params.theme]
        self.camera.background_color = ManimColor(self.theme.background)
        self.spec = self.figure_spec()
        self.layout = FigureLayout.fit(self.spec)
        self.view = self.figure_view()
        self.setup_narration()

    def figure_spec(self) -> figures.FigureSpec:
        """The figure this scene ends on; a scene may adapt it to its parameters."""
        return figures.SPECS[self.spec_name]

    def figure_view(self):
        """The mobjects of the figure: a :class:`FigureView` for a 2D spec."""
        return FigureView(self.spec, self.theme, self.layout)

    # -- objects -------------------------------------------------------------
    def math(self, typst: str, size_pt: float = figures.FONT_SIZE * 1.2) -> MathTypst:
        """A formula set by Typst, at ``size_pt`` points of the original figure."""
        em = self.layout.pt(size_pt)
        formula = MathTypst(typst, color=self.theme.ink, font_size=48)
        return formula.scale(em / _typst_height("x") * 0.45)

    def ball(self, color: str, radius_pt: float = 4.5) -> Circle:
        return Circle(
            radius=self.layout.pt(radius_pt),
            fill_color=color,
            fill_opacity=1,
            stroke_color=self.theme.ink,
            stroke_width=self.layout.stroke(0.6),
        )

    def on_curve(self, ball: Circle, fn, grad, x: float) -> Circle:
        """Puts ``ball`` on the curve of ``fn`` at ``x``, resting on its normal."""
        point = self.layout.c2p(x, fn(x))
        return ball.move_to(point + self.layout.normal(x, float(grad(x))) * ball.radius)

    def readout(self, rows: Sequence[tuple[str, int]]) -> Readout:
        return Readout(self.layout, self.theme.ink, rows)

    def descent_seconds(self, path: np.ndarray) -> float:
        """How long :meth:`descend` takes to play ``path``."""
        return (len(path) - 1) * self.params.seconds_per_step

    def descend(
        self,
        ball: Circle,
        path: np.ndarray,
        place: Place,
        readout: Readout | None = None,
        values: Callable[[int, np.ndarray], Sequence[float]] | None = None,
    ) -> None:
        """Plays a descent: every iterate takes ``seconds_per_step``, so the ball
        slows as the steps shrink.

        ``place(x)`` puts the ball at a point of the path or between two
        iterates; a pair ``(fn, grad)`` puts it on that curve. ``values(t, x_t)``
        feeds the readout.
        """
        if isinstance(place, tuple):
            fn, grad = place

            def place(x: float) -> None:
                self.on_curve(ball, fn, grad, x)

        steps = len(path) - 1

        def step_at(alpha: float) -> float:
            return alpha * steps

        def move(mob: Mobject, alpha: float) -> None:
            s = step_at(alpha)
            t = min(int(s), steps - 1)
            place(path[t] + (path[t + 1] - path[t]) * (s - t))

        shown = [None]

        def count(mob: Mobject, alpha: float) -> None:
            t = round(step_at(alpha))
            if t != shown[0]:  # the numbers change once a step, not every frame
                shown[0] = t
                readout.show(values(t, path[t]))

        run_time = self.descent_seconds(path)
        animations = [UpdateFromAlphaFunc(ball, move)]
        if readout is not None:
            # manim draws every frame what is animated and all it draws later:
            # the numbers and the ball, last, not the labels and the figure.
            self.bring_to_front(readout, ball)
            animations.append(UpdateFromAlphaFunc(readout.numbers, count))
        self.play(*animations, run_time=run_time, rate_func=linear)


class Readout(VGroup):
    """Rows of ``label = number``, whose digits are reused glyphs, not new text.

    ``rows`` gives each row's Typst label and its number of decimals. Labels are
    right-aligned on their ``=``, and numbers sit on the ``=``'s math axis. Each
    number is a fixed row of glyph slots that :meth:`show` refills with the
    outlines of prepared glyphs, so no text is laid out while a scene plays.
    """

    _CHARS = "0123456789.\u2212"
    _SLOTS = 10

    def __init__(
        self, layout, color: str, rows: Sequence[tuple[str, int]], size_pt=9.0
    ):
        super().__init__()
        self.em = em = layout.pt(size_pt)
        sample = label(self._CHARS, layout, color, size_pt)
        glyphs = dict(zip(self._CHARS, sample.submobjects, strict=True))
        baseline = glyphs["0"].get_bottom()[1]
        # Glyph outlines relative to their cell's left end on the baseline.
        self.advance = {
            c: (0.318 if c == "." else 0.838 if c == "\u2212" else 0.636) * em
            for c in self._CHARS
        }
        self.outlines = {
            c: g.points - [g.get_center()[0] - self.advance[c] / 2, baseline, 0]
            for c, g in glyphs.items()
        }
        # Minus and equals share the math axis: the digits' baseline lies below it.
        self.axis_height = glyphs["\u2212"].get_center()[1] - baseline
        self.decimals = [d for _, d in rows]
        self.names = VGroup()
        scale = em * 0.7 / _typst_height("0")
        for i, (name, _) in enumerate(rows):
            tex = MathTypst(name + " =", color=color, font_size=48).scale(scale)
            tex.shift(-self._equals(tex).get_right() + DOWN * 1.6 * em * i)
            self.names.add(tex)
        self.numbers = VGroup(
            *(
                VGroup(*(sample[0].copy().clear_points() for _ in range(self._SLOTS)))
                for _ in rows
            )
        )
        self.add(self.names, self.numbers)

    @staticmethod
    def _equals(tex: MathTypst) -> Mobject:
        return max(tex.family_members_with_points(), key=lambda m: m.get_right()[0])

    def show(self, values: Sequence[float]) -> Readout:
        """Sets each row's number, right of its ``=``."""
        left = self.names.get_right()[0] + 0.4 * self.em
        for name, slots, value, decimals in zip(
            self.names, self.numbers, values, self.decimals, strict=True
        ):
            value = round(float(value), decimals) + 0.0  # no "−0.0000"
            text = f"{value:.{decimals}f}".replace("-", "\u2212")
            origin = np.array([left, self._equals(name).get_center()[1], 0.0])
            origin[1] -= self.axis_height
            for i, slot in enumerate(slots):
                if i < len(text):
                    slot.set_points(self.outlines[text[i]] + origin)
                    origin[0] += self.advance[text[i]]
                else:
                    slot.clear_points()
        return self
