"""Saddle points in two dimensions: the gradient vanishes, yet nothing is minimal.

Lesson section "鞍点" (saddle points), the figure of ``z = x² − y²``. A ball on
the x axis descends the parabola ``x²`` and stalls at the origin, where the
gradient ``(2x, −2y)`` vanishes. Turning the camera shows why that is no
minimum: along x the origin is the bottom of a valley, along y the top of a
ridge. A second ball, started a hair off the x axis, lingers at the saddle and
then escapes along y. The last frame is the lesson's figure.

The 3D axes are drawn flat (:class:`optanim.render.figure3d.SurfaceView`): every
point is projected the way matplotlib does, and a camera move projects again.

    manim -ql scenes/saddle_3d.py Saddle3D
"""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    Circle,
    Create,
    FadeIn,
    FadeOut,
    Transform,
    UpdateFromAlphaFunc,
    Write,
    linear,
    smooth,
)

from optanim.lesson.landscapes import grad_saddle
from optanim.render.figure3d import SurfaceView
from optanim.render.internals import PolylineCamera, draw_below
from optanim.render.slide import LessonSlide
from optanim.render.theme import BALL_COLORS


class Saddle3D(LessonSlide):
    spec_name = "saddle_3d"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("camera_class", PolylineCamera)
        super().__init__(*args, **kwargs)

    def figure_view(self) -> SurfaceView:
        return SurfaceView(self.spec, self.layout, self.theme)

    def construct(self):
        lay, p = self.layout, self.params
        paths = p.paths
        view = self.view
        self.balls: dict[Circle, np.ndarray] = {}
        v = self.spec.view3d

        # Axes, then the surface and its formula
        self.beat("surface")
        self.play(FadeIn(view.frame), run_time=0.8)
        formula = self.math("f(x, y) = x^2 - y^2")
        formula.next_to(lay.axes_point(-0.02, 0.97), DOWN + LEFT, buff=0)
        self.play(Create(view.wireframe), Write(formula), run_time=2)
        self.beside = [formula]

        # The first ball stalls at the origin
        self.beat("stall")
        readout = self.readout([("t", 0), ("x_t", 4), ("y_t", 4), ("norm(nabla f)", 4)])
        readout.show(self._values(0, (-0.8888, -0.8888)))  # at its widest
        readout.next_to(lay.axes_point(-0.02, 0.62), LEFT, buff=0)
        stall = self._ball(BALL_COLORS[0], paths["stall"][0])
        readout.show(self._values(0, paths["stall"][0]))
        self.play(FadeIn(stall), FadeIn(readout), run_time=0.5)
        self.beside.append(readout)
        self.until_said()
        self.say()
        self.say(ending_in=self.descent_seconds(paths["stall"]))
        self.descend(
            stall, paths["stall"], self._on_surface(stall), readout, self._values
        )

        # Turn the camera: a minimum along x, a maximum along y. Not quite along
        # the axes: there, matplotlib's panes are edge-on and flip sides at random.
        self.beat("valley")
        self._turn(15, -85, run_time=2)
        self.beat("ridge")
        self._turn(15, -5, run_time=3)

        # What the Hessian's eigenvalues say
        self.beat("hessian")
        hessian = self.math("H = mat(2, 0; 0, -2)")
        eigen = self.math("lambda_1 = 2, quad lambda_2 = -2", size_pt=10)
        hessian.next_to(readout, DOWN, buff=lay.pt(14), aligned_edge=RIGHT)
        eigen.next_to(hessian, DOWN, buff=lay.pt(6), aligned_edge=RIGHT)
        self.play(Write(hessian), run_time=1.0)
        self.until_said()
        self.say()
        self.play(Write(eigen), run_time=0.8)
        self.beside += [hessian, eigen]

        # A second ball escapes along y
        self.beat("escape")
        self.play(FadeOut(hessian, eigen), run_time=0.5)
        self._turn(v.elev, v.azim, run_time=2.5)
        escape = self._ball(BALL_COLORS[1], paths["escape"][0])
        readout.show(self._values(0, paths["escape"][0]))
        self.play(FadeIn(escape), run_time=0.5)
        self.until_said()
        self.say(ending_in=self.descent_seconds(paths["escape"]))
        self.descend(
            escape, paths["escape"], self._on_surface(escape), readout, self._values
        )

        # The original figure
        self.beat("figure")
        marker = Circle(
            radius=lay.pt(v.marker_size / 2),
            fill_color=v.marker_color,
            fill_opacity=1,
            stroke_color=v.marker_color,
            stroke_width=lay.stroke(1.0),
        ).move_to(view.point(v.marker))
        self.play(
            FadeOut(escape, readout, formula), Transform(stall, marker), run_time=1
        )
        self.remove(stall)
        draw_below(self, marker, view.wireframe)  # as matplotlib draws it
        self.finish()

    # -- helpers -------------------------------------------------------------
    @staticmethod
    def _values(t: int, xy) -> tuple[float, ...]:
        return t, xy[0], xy[1], float(np.linalg.norm(grad_saddle(xy)))

    def _ball(self, color: str, xy) -> Circle:
        ball = self.ball(color)
        self.balls[ball] = np.asarray(xy, dtype=float)
        return ball.move_to(self.view.surface_point(*xy))

    def _on_surface(self, ball: Circle):
        """Where a descent puts ``ball``: on the surface above its point."""

        def place(xy: np.ndarray) -> None:
            self.balls[ball] = xy
            ball.move_to(self.view.surface_point(*xy))

        return place

    def _turn(self, elev: float, azim: float, run_time: float) -> None:
        """Moves the camera, with the balls staying on the surface."""
        view = self.view
        start = np.array([view.camera3d.elev, view.camera3d.azim])
        end = np.array([elev, azim])

        def look(mob, alpha):
            view.look(*(start + (end - start) * smooth(alpha)))

        def follow(ball, alpha):
            ball.move_to(view.surface_point(*self.balls[ball]))

        # Formula and readout lie beside the axes: drawn once, under the rest.
        self.bring_to_back(*(m for m in self.beside if m in self.mobjects))
        self.play(
            UpdateFromAlphaFunc(view.frame, look),
            UpdateFromAlphaFunc(view.wireframe, lambda m, a: None),
            *(UpdateFromAlphaFunc(b, follow) for b in self.balls),
            run_time=run_time,
            rate_func=linear,
        )
