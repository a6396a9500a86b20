"""Vanishing gradients: on a flat tail, gradient descent barely moves.

Lesson section "梯度消失" (vanishing gradients). Two balls descend ``tanh`` with
the same learning rate and the same number of steps: one from x = 0.5, where the
gradient is about 0.79, travels far; one from x = 4, where ``f'(4) ≈ 0.00134``,
hardly moves. The last frame is the lesson's figure.

    manim -ql scenes/vanishing_gradient.py VanishingGradient
"""

from manim import DOWN, LEFT, RIGHT, Create, FadeIn, FadeOut, Indicate, Write

from optanim.lesson.landscapes import grad_tanh, tanh
from optanim.render.slide import LessonSlide
from optanim.render.theme import BALL_COLORS


class VanishingGradient(LessonSlide):
    spec_name = "vanishing_gradient"

    def construct(self):
        view, lay, p = self.view, self.layout, self.params
        paths = p.paths
        slope, tail = paths["slope"], paths["tail"]

        # Axes, then the curve and its derivative
        self.beat("curve")
        self.play(FadeIn(view.frame), run_time=0.8)
        formulas = [self.math("f(x) = tanh(x)"), self.math("f'(x) = 1 - tanh^2(x)")]
        formulas[0].next_to(lay.axes_point(0.03, 0.96), DOWN + RIGHT, buff=0)
        formulas[1].next_to(formulas[0], DOWN, buff=lay.pt(5), aligned_edge=LEFT)
        self.play(Create(view.curves), Write(formulas[0]), run_time=1.5)
        self.until_said()
        self.say()
        self.play(Write(formulas[1]), run_time=1.0)

        # A ball on the slope moves fast
        self.beat("slope")
        fast, fast_readout = self._ball_descending(slope, BALL_COLORS[0], (0.05, 0.62))

        # The same descent on the flat tail crawls
        self.beat("tail")
        slow, slow_readout = self._ball_descending(tail, BALL_COLORS[1], (0.62, 0.08))

        # Compare the distances
        self.beat("compare")
        distances = [r.numbers[2] for r in (fast_readout, slow_readout)]
        self.play(*(Indicate(d, color=self.theme.ink) for d in distances), run_time=1.5)
        self.wait(0.5)

        # Name it
        self.beat("name")
        self.play(FadeOut(fast_readout, slow_readout, *formulas), run_time=0.5)
        self.play(FadeIn(view.annotations), run_time=0.8)

        # The original figure
        self.beat("figure")
        self.play(FadeOut(fast, slow), run_time=0.8)
        self.finish()

    def _ball_descending(self, path, color: str, corner: tuple[float, float]):
        """A ball rolling along ``path``, with a readout whose lower left corner
        sits at axes fraction ``corner``: the step, the gradient, the distance."""
        ball = self.on_curve(self.ball(color), tanh, grad_tanh, path[0])
        readout = self.readout([("t", 0), ("f'(x_t)", 5), ("abs(x_t - x_0)", 4)])
        readout.move_to(self.layout.axes_point(*corner), aligned_edge=LEFT + DOWN)

        def values(t, x):
            return t, grad_tanh(x), abs(x - path[0])

        readout.show(values(0, path[0]))
        self.play(FadeIn(ball), FadeIn(readout), run_time=0.5)
        self.until_said()
        self.say(ending_in=self.descent_seconds(path))
        self.descend(ball, path, (tanh, grad_tanh), readout, values)
        return ball, readout
