"""A 3D figure drawn flat: the axes and wireframe of a surface ``z = f(x, y)``.

:mod:`optanim.lesson.camera3d` projects every point the way matplotlib's
``mplot3d`` does; :meth:`SurfaceView.look` turns the camera by projecting again.
Draw it with :class:`optanim.render.internals.PolylineCamera`, which strokes
the wireframe's straight segments as lines.
"""

from __future__ import annotations

import numpy as np
from manim import ManimColor, VGroup, VMobject

from optanim.lesson import figures as fig
from optanim.lesson.camera3d import Camera3D, axes_frame, wireframe_lines
from optanim.render.figure2d import FigureLayout, label
from optanim.render.theme import Theme

# matplotlib's text box of DejaVu Sans (its "lp" metrics), in ems: a tick label
# hangs from its top, an axis label is centred on it.
_BOX_TOP, _BOX_MIDDLE = 0.7598, 0.2598
# The panes are matplotlib's greys at alpha 0.5, and the grid is #b0b0b0: how
# far each lies from the background towards the ink.
_PANE_SHADES = (0.025, 0.05, 0.0375)
_GRID_SHADE = 1 - 0xB0 / 0xFF


def _polylines(points: np.ndarray) -> np.ndarray:
    """Bézier points of straight polylines ``(lines, n, 3)``, one subpath each."""
    start, end = points[:, :-1], points[:, 1:]
    cubic = np.stack([start, (2 * start + end) / 3, (start + 2 * end) / 3, end], -2)
    return cubic.reshape(-1, 3)


class SurfaceView(VGroup):
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
            mob.straight = True  # see optanim.render.internals.PolylineCamera
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
        """The scene point of the surface above ``(x, y)``."""
        return self.point([x, y, self.view.fn(x, y)])

    def look(self, elev: float, azim: float) -> SurfaceView:
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
