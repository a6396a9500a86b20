"""Local minima: where gradient descent starts decides where it ends.

Lesson section "局部最小值" (local minima). Two balls descend ``f(x) = x·cos πx``
by gradient descent: one from the left slope settles in the local minimum at
x ≈ −0.274, one from right of the bump reaches the global minimum at x ≈ 1.090.
The last frame is the lesson's figure.

    manim -ql scenes/local_minimum.py LocalMinimum
"""

from manim import DOWN, RIGHT, UP, Create, FadeIn, FadeOut, Write

from optanim.lesson.landscapes import f, grad_f
from optanim.render.slide import LessonSlide
from optanim.render.theme import BALL_COLORS


class LocalMinimum(LessonSlide):
    spec_name = "local_minimum"

    def construct(self):
        view, lay, p = self.view, self.layout, self.params
        paths = p.paths

        # Axes, then the curve and its formula
        self.beat("curve")
        self.play(FadeIn(view.frame), run_time=0.8)
        formula = self.math("f(x) = x cos(pi x)")
        formula.next_to(lay.axes_point(0.03, 0.95), DOWN + RIGHT, buff=0)
        self.say()
        self.play(Create(view.curves), Write(formula), run_time=1.5)

        # The left ball settles in the local minimum
        self.beat("left")
        readout = self.readout([("t", 0), ("x_t", 4), ("f'(x_t)", 4)])
        readout.move_to(lay.axes_point(0.45, 0.93), aligned_edge=UP)
        left = self.on_curve(self.ball(BALL_COLORS[0]), f, grad_f, paths["left"][0])
        values = lambda t, x: (t, x, grad_f(x))  # noqa: E731
        readout.show(values(0, paths["left"][0]))
        self.play(FadeIn(left), FadeIn(readout), run_time=0.5)
        self.until_said()
        self.say()
        self.say(ending_in=self.descent_seconds(paths["left"]))
        self.descend(left, paths["left"], (f, grad_f), readout, values)

        # The right ball reaches the global minimum
        self.beat("right")
        right = self.on_curve(self.ball(BALL_COLORS[1]), f, grad_f, paths["right"][0])
        readout.show(values(0, paths["right"][0]))
        self.play(FadeIn(right), run_time=0.5)
        self.until_said()
        self.say(ending_in=self.descent_seconds(paths["right"]))
        self.descend(right, paths["right"], (f, grad_f), readout, values)

        # Name the two minima
        self.beat("minima")
        self.play(FadeOut(readout, formula), run_time=0.5)
        for annotation in view.annotations:
            self.play(FadeIn(annotation), run_time=0.8)

        # The original figure
        self.beat("figure")
        self.play(FadeOut(left, right), run_time=0.8)
        self.finish()
