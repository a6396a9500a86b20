"""Empirical risk and expected risk: the minimum we find is not the one we want.

Lesson section "优化与估计" (optimization and estimation). Gradient descent on the
empirical risk ``g`` (the training data's bumpy version of ``f``) lands in g's
minimum at x ≈ 1.017. The expected risk ``f`` still slopes there: descending f
from that point moves on to its own minimum at x ≈ 1.090. The last frame is the
lesson's figure, legend included.

The original legend calls f "train error" and g "test error", against its own
annotations (see ``docs/figures.md``); ``OPTANIM_RISK_LEGEND=corrected`` swaps the
words. The captions name the curves by their look and their risk, never by the
legend's words, so they hold with either legend.

    manim -ql scenes/risk.py Risk
"""

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    Create,
    DashedLine,
    FadeIn,
    FadeOut,
    VGroup,
    Write,
)

from optanim.lesson.figures import CORRECTED_RISK_LEGEND
from optanim.lesson.landscapes import f, g, grad_f, grad_g
from optanim.render.slide import LessonSlide
from optanim.render.theme import BALL_COLORS


class Risk(LessonSlide):
    spec_name = "risk"

    def figure_spec(self):
        spec = super().figure_spec()
        if self.params.legend == "corrected":
            return spec.with_legend_labels(*CORRECTED_RISK_LEGEND)
        return spec

    def construct(self):
        view, lay, p = self.view, self.layout, self.params
        paths = p.paths
        empirical, expected = paths["empirical"], paths["expected"]
        x_g, x_f = empirical[-1], expected[-1]
        solid, dashed = view.curves

        # Axes, the expected risk f, then the empirical risk g
        self.beat("expected")
        self.play(FadeIn(view.frame), run_time=0.8)
        f_formula = self.math("f(x) = x cos(pi x)", size_pt=10)
        f_formula.next_to(lay.axes_point(0.2, 0.96), DOWN + RIGHT, buff=0)
        g_formula = self.math("g(x) = f(x) + 0.2 cos(5 pi x)", size_pt=10)
        g_formula.next_to(f_formula, DOWN, buff=lay.pt(4), aligned_edge=LEFT)
        self.play(Create(solid), Write(f_formula), run_time=1.5)
        self.beat("empirical")
        self.play(Create(dashed), Write(g_formula), FadeIn(view.legend), run_time=1.5)

        # Two goals: the training loss, and generalization
        self.beat("goals")

        # Training: gradient descent on g
        self.beat("train")
        readout = self.readout([("t", 0), ("x_t", 4), ("g'(x_t)", 4)])
        readout.move_to(lay.axes_point(0.05, 0.05), aligned_edge=LEFT + DOWN)
        trained = self.on_curve(self.ball(BALL_COLORS[0]), g, grad_g, empirical[0])
        on_g = lambda t, x: (t, x, grad_g(x))  # noqa: E731
        readout.show(on_g(0, empirical[0]))
        self.play(FadeIn(trained), FadeIn(readout), run_time=0.5)
        self.until_said()
        self.say()
        self.say(ending_in=self.descent_seconds(empirical))
        self.descend(trained, empirical, (g, grad_g), readout, on_g)

        # The expected risk still slopes there
        self.beat("slope")
        guide = self._dashed(lay.c2p(x_g, g(x_g)), lay.c2p(x_g, f(x_g)))
        probe = self.on_curve(self.ball(BALL_COLORS[1]), f, grad_f, x_g)
        readout_f = self.readout([("t", 0), ("x_t", 4), ("f'(x_t)", 4)])
        readout_f.move_to(readout, aligned_edge=LEFT + DOWN)
        on_f = lambda t, x: (t, x, grad_f(x))  # noqa: E731
        readout_f.show(on_f(0, x_g))
        self.play(Create(guide), FadeIn(probe), FadeOut(readout), run_time=0.8)
        self.say()
        self.play(FadeIn(readout_f), run_time=0.4)

        # Descending f from there finds the other minimum
        self.beat("expected_descent")
        self.descend(probe, expected, (f, grad_f), readout_f, on_f)
        self.say()
        gap = self.readout([("x^*_g", 3), ("x^*_f", 3), ("x^*_f - x^*_g", 3)])
        gap.move_to(readout_f, aligned_edge=LEFT + DOWN)
        gap.show((x_g, x_f, x_f - x_g))
        mark = self._gap_mark(x_g, x_f)
        self.play(FadeOut(readout_f), FadeIn(gap), Create(mark), run_time=0.8)

        # Name the two risks
        self.beat("annotations")
        self.play(FadeOut(gap, mark, guide, f_formula, g_formula), run_time=0.5)
        for annotation in view.annotations:
            self.play(FadeIn(annotation), run_time=0.8)

        # The original figure
        self.beat("figure_original" if p.legend == "original" else "figure_corrected")
        self.play(FadeOut(trained, probe), run_time=0.8)
        self.finish()

    def _gap_mark(self, x_g: float, x_f: float) -> VGroup:
        """Dashed rises from f at both minima to a double arrow between them."""
        lay = self.layout
        top = lay.axes_point(0, 0.36)[1]
        starts = [lay.c2p(x, f(x)) for x in (x_g, x_f)]
        ends = [np.array([start[0], top, 0]) for start in starts]
        rises = VGroup(*map(self._dashed, starts, ends))
        arrows = (self.view.arrow(*ends), self.view.arrow(*ends[::-1]))
        return VGroup(rises, *arrows)

    def _dashed(self, start, end) -> DashedLine:
        return DashedLine(
            start,
            end,
            color=self.theme.ink,
            stroke_width=self.layout.stroke(0.8),
            dash_length=self.layout.pt(2),
        )
