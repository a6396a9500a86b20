"""matplotlib's 3D camera and axes, in numpy.

``mpl_toolkits.mplot3d`` projects every 3D point through one 4 × 4 matrix
(``Axes3D.get_proj``) onto a flat 2D axes whose view limits are fixed. This
module rebuilds that matrix and the pieces of the 3D axes that move with the
camera (panes, grid lines, axis lines, ticks and label anchors), so that a
scene can draw them as flat 2D shapes and turn the camera by projecting again.
There is no manim import: every position is in *axes fractions*, ``(0, 0)`` at
the lower left of the axes box and ``(1, 1)`` at the upper right.

>>> camera = Camera3D(xlim=(-1, 1), ylim=(-1, 1), zlim=(-1, 1))
>>> camera.to_axes([0.0, 0.0, 0.0]).round(4).tolist()
[0.5135, 0.5135]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

# The cube's faces: for axis i, the planes at its lower (2i) and upper (2i + 1)
# limit, as corner indices of ``Camera3D.corners``.
_PLANES = (
    (0, 3, 7, 4), (1, 2, 6, 5),  # x
    (0, 1, 5, 4), (3, 2, 6, 7),  # y
    (0, 1, 2, 3), (4, 5, 6, 7),  # z
)  # fmt: skip
_JUGGLED = ((1, 0, 2), (0, 1, 2), (0, 2, 1))  # axis line edges, per axis
_TICKDIR = (1, 0, 0)  # the coordinate each axis's ticks point along
_BOX_SCALE = 1.8294640721620434 * 25 / 24  # matplotlib's box size, tuned to 3.2
_DELTA_SCALE = 0.08  # tick and label offsets per unit of axis span
_TICK_OUT, _TICK_IN = 0.1, 0.2
_LABEL_OFFSET, _TICKLABEL_OFFSET = 21.0, 8.0  # points, "a rough estimate"


@dataclass(frozen=True)
class Camera3D:
    """The view of an ``Axes3D``: its limits, box aspect and angles.

    The defaults are matplotlib's: ``elev`` 30°, ``azim`` −60°, no roll, box
    aspect 4:4:3, a perspective projection of focal length 1 from distance 10.
    """

    xlim: tuple[float, float]
    ylim: tuple[float, float]
    zlim: tuple[float, float]
    elev: float = 30.0
    azim: float = -60.0
    box_aspect: tuple[float, float, float] = (4.0, 4.0, 3.0)
    focal_length: float = 1.0
    dist: float = 10.0

    def turned(self, elev: float, azim: float) -> Camera3D:
        """The same camera, looking from ``elev`` and ``azim`` (degrees)."""
        return replace(self, elev=elev, azim=azim)

    @property
    def limits(self) -> np.ndarray:
        """``[[xmin, ymin, zmin], [xmax, ymax, zmax]]``."""
        return np.array([self.xlim, self.ylim, self.zlim], dtype=float).T

    @property
    def view_limits(self) -> tuple[float, float]:
        """The 2D axes' data limits, the same for x and y (``set_top_view``)."""
        return -0.95 / self.dist, 0.9 / self.dist

    @cached_property
    def matrix(self) -> np.ndarray:
        """The 4 × 4 projection matrix, equal to ``Axes3D.get_proj()``."""
        aspect = np.asarray(self.box_aspect, dtype=float)
        aspect = aspect * _BOX_SCALE / np.linalg.norm(aspect)
        lo, hi = self.limits
        span = (hi - lo) / aspect
        world = np.eye(4)
        world[:3, :3] = np.diag(1 / span)
        world[:3, 3] = -lo / span
        centre = 0.5 * aspect
        elev, azim = np.deg2rad(self.elev), np.deg2rad(self.azim)
        ps = np.array(
            [np.cos(elev) * np.cos(azim), np.cos(elev) * np.sin(azim), np.sin(elev)]
        )
        up = np.array([0.0, 0.0, -1.0 if abs(_norm_angle(self.elev)) > 90 else 1.0])
        w = ps / np.linalg.norm(ps)
        u = np.cross(up, w)
        u /= np.linalg.norm(u)
        v = np.cross(w, u)
        rotate, translate = np.eye(4), np.eye(4)
        rotate[:3, :3] = [u, v, w]
        if np.isinf(self.focal_length):
            translate[:3, 3] = -(centre + self.dist * ps)
            near, far = -self.dist, self.dist
            project = np.array(
                [
                    [2.0, 0, 0, 0],
                    [0, 2, 0, 0],
                    [0, 0, -2, 0],
                    [0, 0, -(near + far), -(near - far)],
                ]
            )
        else:
            translate[:3, 3] = -(centre + self.dist * ps * self.focal_length)
            near, far, e = -self.dist, self.dist, self.focal_length
            project = np.array(
                [
                    [e, 0, 0, 0],
                    [0, e, 0, 0],
                    [0, 0, (near + far) / (near - far), -2 * near * far / (near - far)],
                    [0, 0, -1, 0],
                ]
            )
        return project @ rotate @ translate @ world

    def project(self, points) -> np.ndarray:
        """Data points ``(..., 3)`` to matplotlib's projected ``(x, y, depth)``.

        ``x`` and ``y`` are the 2D axes' data coordinates, as
        ``proj3d.proj_transform`` returns them.
        """
        points = np.asarray(points, dtype=float)
        flat = points.reshape(-1, 3)
        homogeneous = np.column_stack([flat, np.ones(len(flat))]) @ self.matrix.T
        return (homogeneous[:, :3] / homogeneous[:, 3:]).reshape(points.shape)

    def to_axes(self, points) -> np.ndarray:
        """Data points ``(..., 3)`` to axes fractions ``(..., 2)``."""
        lo, hi = self.view_limits
        return (self.project(points)[..., :2] - lo) / (hi - lo)

    @property
    def corners(self) -> np.ndarray:
        """The eight corners of the limits box, in matplotlib's order."""
        (x0, y0, z0), (x1, y1, z1) = self.limits
        return np.array(
            [
                (x0, y0, z0),
                (x1, y0, z0),
                (x1, y1, z0),
                (x0, y1, z0),
                (x0, y0, z1),
                (x1, y0, z1),
                (x1, y1, z1),
                (x0, y1, z1),
            ]
        )

    def highs(self) -> np.ndarray:
        """For each axis, whether its pane lies at the upper limit.

        The pane is the face of the box farther from the camera; matplotlib
        compares the mean depth of the two faces.
        """
        depth = self.project(self.corners)[:, 2]
        means = np.array(
            [
                [depth[list(p)].mean() for p in _PLANES[2 * i : 2 * i + 2]]
                for i in range(3)
            ]
        )
        highs = means[:, 0] < means[:, 1]
        edge_on = np.abs(means[:, 0] - means[:, 1]) <= np.finfo(float).eps
        if edge_on.sum() == 2:  # looking straight along a face
            vertical = int(np.nonzero(~edge_on)[0][0])
            highs = np.array(
                [
                    [highs[0], False, False],
                    [True, highs[1], False],
                    [True, True, highs[2]],
                ][vertical]
            )
        return highs


def _norm_angle(a: float) -> float:
    a = (a + 360) % 360
    return a - 360 if a > 180 else a


@dataclass(frozen=True)
class AxesFrame:
    """The 3D axes' decorations, in axes fractions, as matplotlib places them.

    Attributes
    ----------
    panes : (3, 4, 2)
        The grey back face of each axis (x, y, z), a quadrilateral.
    grid : (3, n, 3, 2)
        Per axis, a grid line per tick: three points across two panes.
    lines : (3, 2, 2)
        The black axis lines, from end to end.
    ticks : (3, n, 2, 2)
        Per axis, each tick mark from its outer to its inner end.
    tick_labels : (3, n, 2)
        Anchors of the tick labels: centre of the text box's top edge.
    labels : (3, 2)
        Anchors of the axis labels: centre of the text box.
    """

    panes: np.ndarray
    grid: np.ndarray
    lines: np.ndarray
    ticks: np.ndarray
    tick_labels: np.ndarray
    labels: np.ndarray


def axes_frame(
    camera: Camera3D,
    ticks: Sequence[float],
    axes_inches: tuple[float, float],
    tick_pad: float = 3.5,
    label_pad: float = 4.0,
) -> AxesFrame:
    """Where matplotlib draws the panes, grid, axis lines, ticks and labels.

    A port of ``mpl_toolkits.mplot3d.axis3d.Axis`` for the default layout (z
    vertical, ticks and labels at their default positions, linear scales).

    Parameters
    ----------
    camera
        The view.
    ticks
        Tick locations, shared by the three axes.
    axes_inches
        Width and height of the axes box; label offsets are in points
        estimated from them.
    tick_pad, label_pad
        ``Tick.get_pad()`` and ``Axis.labelpad``, in points.
    """
    ticks = np.asarray(ticks, dtype=float)
    lo, hi = camera.limits
    highs = camera.highs()
    corners = camera.to_axes(camera.corners)
    centres, deltas = (lo + hi) / 2, (hi - lo) * _DELTA_SCALE
    per_point = 48 / (72 * sum(axes_inches))
    near = np.where(highs, hi, lo)  # matplotlib's "minmax": the pane corner
    far = np.where(highs, lo, hi)  # "maxmin": the opposite corner, near the camera
    panes, grid, lines, tick_marks, tick_labels, labels = [], [], [], [], [], []
    for i in range(3):
        panes.append(corners[list(_PLANES[2 * i + int(highs[i])])])
        # Grid lines run from the far edge of one pane, through the corner
        # line where the panes meet, to the far edge of the other.
        points = np.tile(near, (len(ticks), 3, 1))
        points[:, :, i] = ticks[:, None]
        points[:, 0, i - 2] = far[i - 2]
        points[:, 2, i - 1] = far[i - 1]
        grid.append(camera.to_axes(points))
        # The axis line, and the ticks and labels along it.
        juggled = _JUGGLED[i]
        start = near.copy()
        start[juggled[0]] = far[juggled[0]]
        end = start.copy()
        end[juggled[1]] = far[juggled[1]]
        lines.append(camera.to_axes(np.array([start, end])))
        d = _TICKDIR[i]
        step = deltas[d] if highs[d] else -deltas[d]
        mask = np.arange(3) != i
        points = np.tile(start, (len(ticks), 3, 1))
        points[:, :, i] = ticks[:, None]
        points[:, 0, d] += _TICK_OUT * step
        points[:, 1, d] -= _TICK_IN * step
        shift = (tick_pad + _TICKLABEL_OFFSET) * per_point * deltas
        points[:, 2] += mask * np.copysign(1, points[:, 2] - centres) * shift
        projected = camera.to_axes(points)
        tick_marks.append(projected[:, :2])
        tick_labels.append(projected[:, 2])
        middle = (start + end) / 2
        shift = (label_pad + _LABEL_OFFSET) * per_point * deltas
        middle = middle + mask * np.copysign(1, middle - centres) * shift
        labels.append(camera.to_axes(middle))
    return AxesFrame(
        *(np.array(a) for a in (panes, grid, lines)),
        np.array(tick_marks),
        np.array(tick_labels),
        np.array(labels),
    )


def wireframe_lines(x, y, z, rstride: int, cstride: int) -> np.ndarray:
    """The polylines ``Axes3D.plot_wireframe`` draws, rows first.

    Every ``rstride``-th row and ``cstride``-th column of the grid, and the last
    one, each with all its samples. Returns an array ``(lines, samples, 3)``
    (the grid is square here, so rows and columns have equal length).
    """
    x, y, z = (np.asarray(a, dtype=float) for a in (x, y, z))
    rows, cols = z.shape
    rii = np.unique(np.append(np.arange(0, rows, rstride), rows - 1))
    cii = np.unique(np.append(np.arange(0, cols, cstride), cols - 1))
    row_lines = np.stack([x[rii], y[rii], z[rii]], axis=-1)
    col_lines = np.stack([x.T[cii], y.T[cii], z.T[cii]], axis=-1)
    return np.concatenate([row_lines, col_lines])
