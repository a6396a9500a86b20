"""Saddle points: the gradient vanishes, yet the point is no minimum.

Lesson section "鞍点" (saddle points). Gradient descent on ``f(x) = x³`` from
x = 1.5 slows to a crawl as ``f'(x) = 3x²`` vanishes near 0, although f keeps
decreasing to the left. A tiny nudge past 0 lets the same descent run away
downhill (``OPTANIM_SADDLE_POINT_NUDGE=false`` leaves it out). The last frame is
the lesson's figure.

    manim -ql scenes/saddle_point.py SaddlePoint
"""

from manim import DOWN, LEFT, RIGHT, UP, Create, FadeIn, FadeOut, Write

from optanim.lesson.landscapes import cube, grad_cube
from optanim.render.slide import LessonSlide
from optanim.render.theme import BALL_COLORS


class SaddlePoint(LessonSlide):
    spec_name = "saddle_point"

    def construct(self):
        view, lay, p = self.view, self.layout, self.params
        paths = p.paths
        stall = paths["stall"]

        # Axes, then the curve and its formula
        self.beat("curve")
        self.play(FadeIn(view.frame), run_time=0.8)
        formula = self.math("f(x) = x^3")
        formula.next_to(lay.axes_point(0.03, 0.95), DOWN + RIGHT, buff=0)
        self.play(Create(view.curves), Write(formula), run_time=1.5)

        # Descent stalls as the gradient collapses
        self.beat("stall")
        readout = self.readout([("t", 0), ("x_t", 4), ("f(x_t)", 4), ("f'(x_t)", 4)])
        readout.move_to(lay.axes_point(0.72, 0.42), aligned_edge=UP)
        ball = self.on_curve(self.ball(BALL_COLORS[0]), cube, grad_cube, stall[0])
        values = lambda t, x: (t, x, cube(x), grad_cube(x))  # noqa: E731
        readout.show(values(0, stall[0]))
        self.play(FadeIn(ball), FadeIn(readout), run_time=0.5)
        self.until_said()
        self.say()
        self.say(ending_in=self.descent_seconds(stall))
        self.descend(ball, stall, (cube, grad_cube), readout, values)

        # Flat, but no minimum
        self.beat("flat")
        claim = self.math('f\'(0) = 0, quad "yet 0 is not a minimum"', size_pt=10)
        claim.next_to(formula, DOWN, buff=lay.pt(6), aligned_edge=LEFT)
        self.play(Write(claim), run_time=1.0)

        if p.nudge:
            nudge = paths["nudge"]
            self.beat("nudge")
            target = self.on_curve(ball.copy(), cube, grad_cube, nudge[0])
            self.play(ball.animate.move_to(target), run_time=0.5)
            readout.show(values(0, nudge[0]))
            self.say(ending_in=self.descent_seconds(nudge))
            self.descend(ball, nudge, (cube, grad_cube), readout, values)

            self.beat("stalled")
            self.play(FadeOut(ball), run_time=0.4)
            self.on_curve(ball, cube, grad_cube, stall[-1])
            readout.show(values(len(stall) - 1, stall[-1]))
            self.play(FadeIn(ball), run_time=0.4)

        # Name it
        self.beat("name")
        self.play(FadeOut(readout, formula, claim), run_time=0.5)
        self.play(FadeIn(view.annotations), run_time=0.8)

        # The original figure
        self.beat("figure")
        self.play(FadeOut(ball), run_time=0.8)
        self.finish()
