"""Saddle points in two dimensions: the gradient vanishes, yet nothing is minimal.

Lesson section "鞍点" (saddle points), the figure of ``z = x² − y²``. A ball on
the x axis descends the parabola ``x²`` and stalls at the origin, where the
gradient ``(2x, −2y)`` vanishes. Turning the camera shows why that is no
minimum: along x the origin is the bottom of a valley, along y the top of a
ridge. A second ball, started a hair off the x axis, lingers at the saddle and
then escapes along y. The last frame is the lesson's figure.

The 3D axes are drawn flat: :mod:`scenes.camera3d` projects every point the way
matplotlib does, and a camera move projects them again.

    manim -ql scenes/saddle_3d.py Saddle3D
"""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    Camera,
    Circle,
    Create,
    FadeIn,
    FadeOut,
    ManimColor,
    Transform,
    UpdateFromAlphaFunc,
    VGroup,
    VMobject,
    Write,
    linear,
    smooth,
)

from scenes import figures as fig
from scenes.axes_view import FigureLayout, Theme, label
from scenes.camera3d import Camera3D, axes_frame, wireframe_lines
from scenes.landscapes import grad_saddle, saddle
from scenes.stage import BALL_COLORS, LessonSlide

# matplotlib's text box of DejaVu Sans (its "lp" metrics), in ems: a tick label
# hangs from its top, an axis label is centred on it.
_BOX_TOP, _BOX_MIDDLE = 0.7598, 0.2598
# The panes are matplotlib's greys at alpha 0.5, and the grid is #b0b0b0: how
# far each lies from the background towards the ink.
_PANE_SHADES = (0.025, 0.05, 0.0375)
_GRID_SHADE = 1 - 0xB0 / 0xFF


class PolylineCamera(Camera):
    """manim's Cairo camera, which traces straight shapes with ``line_to``.

    A VMobject flagged ``straight`` is a set of polylines: its Bézier curves are
    straight, so the camera joins their anchors with lines, which Cairo strokes
    twice as fast. The wireframe is a thousand such segments, re-drawn on
    every frame of a camera move.
    """

    def set_cairo_context_path(self, ctx, vmobject: VMobject) -> PolylineCamera:
        if not getattr(vmobject, "straight", False):
            return super().set_cairo_context_path(ctx, vmobject)
        points = self.transform_points_pre_display(vmobject, vmobject.points)
        ctx.new_path()
        if len(points) == 0:
            return self
        splits = vmobject.get_subpath_split_indices_from_points(points, n_dims=2)
        for start, end in splits:
            if end - start < 4:
                continue
            ctx.move_to(*points[start, :2])
            for x, y in points[start + 3 : end : 4, :2]:  # the curves' end anchors
                ctx.line_to(x, y)
        return self


def _polylines(points: np.ndarray) -> np.ndarray:
    """Bézier points of straight polylines ``(lines, n, 3)``, one subpath each."""
    start, end = points[:, :-1], points[:, 1:]
    cubic = np.stack([start, (2 * start + end) / 3, (start + 2 * end) / 3, end], -2)
    return cubic.reshape(-1, 3)


class SaddleView(VGroup):
    """The 3D axes (``frame``) and the ``wireframe`` of a figure, drawn flat.

    :meth:`look` turns the camera; :meth:`point` places anything else.
    """

    def __init__(self, spec: fig.FigureSpec, layout: FigureLayout, theme: Theme):
        super().__init__()
        self.view, self.layout = spec.view3d, layout
        v = self.view
        self.camera3d = Camera3D(v.xlim, v.xlim, v.zlim, v.elev, v.azim)
        side = spec.box_inches[1]  # the 3D axes box is square
        self.inches = (side, side)
        self.lines3d = wireframe_lines(*v.mesh(), v.stride, v.stride)

        paper, ink = ManimColor(theme.background), ManimColor(theme.ink)

        def shade(level):
            return paper.interpolate(ink, level)

        def lines(color, width_pt):
            mob = VMobject(stroke_color=color, stroke_width=layout.stroke(width_pt))
            mob.straight = True  # see PolylineCamera
            return mob

        self.panes = VGroup(
            *(
                VMobject(
                    fill_color=shade(s),
                    fill_opacity=1,
                    stroke_color=shade(s),
                    stroke_width=layout.stroke(1.0),
                )
                for s in _PANE_SHADES
            )
        )
        self.grid = lines(shade(_GRID_SHADE), 0.8)
        self.axis_lines = lines(theme.ink, fig.SPINE_WIDTH)
        self.tick_marks = lines(theme.ink, fig.SPINE_WIDTH)
        names = fig.tick_labels(v.ticks)
        self.tick_labels = VGroup(
            *(self._text(n, theme.ink, _BOX_TOP) for _ in range(3) for n in names)
        )
        self.labels = VGroup(
            *(self._text(n, theme.ink, _BOX_MIDDLE) for n in (spec.xlabel, spec.ylabel))
        )
        self.frame = VGroup(
            self.panes,
            self.grid,
            self.axis_lines,
            self.tick_marks,
            self.tick_labels,
            self.labels,
        )
        self.wireframe = lines(fig.C0, fig.LINE_WIDTH)
        self.add(self.frame, self.wireframe)
        self.look(v.elev, v.azim)

    def _text(self, text: str, color: str, drop_em: float) -> VMobject:
        """``text`` as one shape, its baseline ``drop_em`` below its anchor.

        ``anchor_offset`` is the height of the shape's centre above the anchor.
        """
        ruler = label("H" + text, self.layout, color)  # H sits on the baseline
        shape = VMobject(fill_color=color, fill_opacity=1, stroke_width=0)
        shape.set_points(np.concatenate([g.points for g in ruler[1:]]))
        baseline = ruler[0].get_bottom()[1]
        em = self.layout.pt(fig.FONT_SIZE)
        shape.anchor_offset = shape.get_center()[1] - baseline - drop_em * em
        return shape

    def point(self, xyz) -> np.ndarray:
        """Scene points of data points ``(..., 3)`` under the current camera."""
        return self._scene(self.camera3d.to_axes(xyz))

    def _scene(self, uv) -> np.ndarray:
        """Scene points of axes fractions ``(..., 2)``."""
        lo, hi = self.layout.box
        uv = np.asarray(uv)
        return np.concatenate([lo[:2] + (hi - lo)[:2] * uv, 0 * uv[..., :1]], -1)

    def surface_point(self, x: float, y: float) -> np.ndarray:
        return self.point([x, y, saddle(x, y)])

    def look(self, elev: float, azim: float) -> SaddleView:
        """Projects everything again, from ``elev`` and ``azim`` (degrees)."""
        self.camera3d = self.camera3d.turned(elev, azim)
        frame = axes_frame(self.camera3d, self.view.ticks, self.inches)
        scene = self._scene
        for pane, corners in zip(self.panes, frame.panes, strict=True):
            pane.set_points_as_corners(scene(np.vstack([corners, corners[:1]])))
        self.grid.set_points(_polylines(scene(frame.grid.reshape(-1, 3, 2))))
        self.axis_lines.set_points(_polylines(scene(frame.lines)))
        self.tick_marks.set_points(_polylines(scene(frame.ticks.reshape(-1, 2, 2))))
        texts = [*self.tick_labels, *self.labels]
        anchors = [*frame.tick_labels.reshape(-1, 2), *frame.labels[:2]]  # no z label
        for text, anchor in zip(texts, anchors, strict=True):
            text.move_to(scene(anchor) + [0, text.anchor_offset, 0])
        self.wireframe.set_points(_polylines(self.point(self.lines3d)))
        return self


class Saddle3D(LessonSlide):
    spec_name = "saddle_3d"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("camera_class", PolylineCamera)
        super().__init__(*args, **kwargs)

    def figure_view(self) -> SaddleView:
        return SaddleView(self.spec, self.layout, self.theme)

    def construct(self):
        lay, p = self.layout, self.params
        paths = p.paths()
        view = self.view
        self.balls: dict[Circle, np.ndarray] = {}
        v = self.spec.view3d

        # Axes, then the surface and its formula
        self.beat("This is f of x and y equals x squared minus y squared.")
        self.play(FadeIn(view.frame), run_time=0.8)
        formula = self.math("f(x, y) = x^2 - y^2")
        formula.next_to(lay.axes_point(-0.02, 0.97), DOWN + LEFT, buff=0)
        self.play(Create(view.wireframe), Write(formula), run_time=2)
        self.beside = [formula]

        # The first ball stalls at the origin
        self.beat(
            "A ball on the x axis descends the parabola x squared. At the origin the "
            "gradient, 2x and minus 2y, vanishes, and the ball stalls."
        )
        readout = self.readout([("t", 0), ("x_t", 4), ("y_t", 4), ("norm(nabla f)", 4)])
        readout.show(self._values(0, (-0.8888, -0.8888)))  # at its widest
        readout.next_to(lay.axes_point(-0.02, 0.62), LEFT, buff=0)
        stall = self._ball(BALL_COLORS[0], paths["stall"][0])
        readout.show(self._values(0, paths["stall"][0]))
        self.play(FadeIn(stall), FadeIn(readout), run_time=0.5)
        self.beside.append(readout)
        self._roll(stall, paths["stall"], readout)

        # Turn the camera: a minimum along x, a maximum along y. Not quite along
        # the axes: there, matplotlib's panes are edge-on and flip sides at random.
        self.beat(
            "Seen along the y axis, the origin is the bottom of a valley: "
            "along x, it is a minimum."
        )
        self._turn(15, -85, run_time=2)
        self.wait(0.5)
        self.beat(
            "Seen along the x axis, it is the top of a ridge: along y, a maximum. "
            "The gradient vanishes, yet this is no minimum. It is a saddle point."
        )
        self._turn(15, -5, run_time=3)
        self.wait(0.5)

        # A second ball escapes along y
        y0 = paths["escape"][0][1]
        side = "positive" if y0 > 0 else "negative"
        self.beat(
            f"A second ball starts {abs(y0):g} off the x axis. It lingers near the "
            f"saddle, but its offset grows by 1 plus 2 eta every step, and it "
            f"escapes towards {side} y."
        )
        self._turn(v.elev, v.azim, run_time=2.5)
        escape = self._ball(BALL_COLORS[1], paths["escape"][0])
        readout.show(self._values(0, paths["escape"][0]))
        self.play(FadeIn(escape), run_time=0.5)
        self._roll(escape, paths["escape"], readout)

        # The original figure
        self.beat(
            "The stalled ball marks the saddle point. This is the lesson's figure."
        )
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
        # matplotlib draws the marker under the wireframe
        self.remove(stall)
        self.mobjects.insert(self.mobjects.index(view.wireframe), marker)
        self.finish()

    # -- helpers -------------------------------------------------------------
    @staticmethod
    def _values(t: int, xy) -> tuple[float, ...]:
        return t, xy[0], xy[1], float(np.linalg.norm(grad_saddle(xy)))

    def _ball(self, color: str, xy) -> Circle:
        ball = self.ball(color)
        self.balls[ball] = np.asarray(xy, dtype=float)
        return ball.move_to(self.view.surface_point(*xy))

    def _roll(self, ball: Circle, path: np.ndarray, readout) -> None:
        """Plays a descent on the surface, ``seconds_per_step`` per iterate."""

        def place(xy: np.ndarray) -> None:
            self.balls[ball] = xy
            ball.move_to(self.view.surface_point(*xy))

        self.descend(ball, path, place, readout, self._values)

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
