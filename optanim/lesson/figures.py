"""The five figures of the lesson, as data.

A :class:`FigureSpec` holds the facts of one original matplotlib figure: its size,
curves, labels, annotations and legend. Two renderers read it: ``optanim.qa.original``
rebuilds the original with matplotlib, ``optanim.render.figure2d`` draws it with Manim.
Limits and ticks are derived here the way matplotlib derives them (5 % margins,
its auto tick locator), so neither renderer has to ask the other.

>>> SPECS["local_minimum"].xticks.tolist()
[-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from optanim.lesson import landscapes

C0 = "#1f77b4"
PURPLE = "#800080"
RED = "#ff0000"
MINUS = "\u2212"

# matplotlib's default style, in points unless named otherwise.
FONT = "DejaVu Sans"
FONT_SIZE = 10.0
LINE_WIDTH = 1.5
SPINE_WIDTH = 0.8
TICK_LENGTH = 3.5
TICK_PAD = 3.5
LABEL_PAD = 4.0
AXES_BOX = (0.125, 0.11, 0.775, 0.77)  # left, bottom, width, height (figure fraction)
MARGIN = 0.05
_STEPS = np.array([1, 2, 2.5, 5, 10])


@dataclass(frozen=True)
class Curve:
    """One line of a figure: ``fn`` sampled on ``np.arange(start, stop, step)``."""

    fn: Callable[[np.ndarray], np.ndarray]
    grid: tuple[float, float, float]
    color: str = C0
    dashes: tuple[float, float] | None = None  # on, off, in units of line width
    label: str | None = None

    @property
    def x(self) -> np.ndarray:
        return np.arange(*self.grid)

    @property
    def y(self) -> np.ndarray:
        return self.fn(self.x)


@dataclass(frozen=True)
class Annotation:
    """Text anchored at ``xytext`` (left, baseline) with a ``->`` arrow to ``xy``."""

    text: str
    xy: tuple[float, float]
    xytext: tuple[float, float]


@dataclass(frozen=True)
class View3D:
    """A 3D wireframe ``z = fn(x, y)`` seen from matplotlib's default camera."""

    fn: Callable[[np.ndarray, np.ndarray], np.ndarray]
    grid: int = 31
    stride: int = 2
    extent: float = 1.0
    elev: float = 30.0
    azim: float = -60.0
    marker: tuple[float, float, float] = (0.0, 0.0, 0.0)
    marker_color: str = RED
    marker_size: float = 10.0
    ticks: tuple[float, ...] = (-1.0, 0.0, 1.0)
    # matplotlib pads x and y by 5 %, then every 3D limit by 1/48 of its span.
    xlim: tuple[float, float] = (-1.1 - 2.2 / 48, 1.1 + 2.2 / 48)
    zlim: tuple[float, float] = (-1 - 2 / 48, 1 + 2 / 48)

    def mesh(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The sample grid as ``numpy.mgrid`` builds it, and the heights on it."""
        n = complex(0, self.grid)
        x, y = np.mgrid[-self.extent : self.extent : n, -self.extent : self.extent : n]
        return x, y, self.fn(x, y)


@dataclass(frozen=True)
class FigureSpec:
    """The facts of one original figure, read by both renderers."""

    name: str
    figsize: tuple[float, float]
    xlabel: str
    ylabel: str
    curves: tuple[Curve, ...] = ()
    annotations: tuple[Annotation, ...] = ()
    legend: str | None = None  # legend location, as matplotlib names it
    view3d: View3D | None = None
    box: tuple[float, float, float, float] = AXES_BOX

    @cached_property
    def xlim(self) -> tuple[float, float]:
        return _padded(np.concatenate([c.x for c in self.curves]))

    @cached_property
    def ylim(self) -> tuple[float, float]:
        return _padded(np.concatenate([c.y for c in self.curves]))

    @property
    def box_inches(self) -> tuple[float, float]:
        """Width and height of the axes box, in inches."""
        return self.box[2] * self.figsize[0], self.box[3] * self.figsize[1]

    @cached_property
    def xticks(self) -> np.ndarray:
        """Visible x ticks; the x axis fits a label per three label heights."""
        space = math.floor(self.box_inches[0] * 72 / (FONT_SIZE * 3))
        return auto_ticks(*self.xlim, space)

    @cached_property
    def yticks(self) -> np.ndarray:
        """Visible y ticks; the y axis fits a label per two label heights."""
        space = math.floor(self.box_inches[1] * 72 / (FONT_SIZE * 2))
        return auto_ticks(*self.ylim, space)

    def with_legend_labels(self, *labels: str) -> FigureSpec:
        """A copy whose curves carry ``labels`` in the legend instead."""
        curves = tuple(
            replace(c, label=label)
            for c, label in zip(self.curves, labels, strict=True)
        )
        return replace(self, curves=curves)


def _padded(values: np.ndarray) -> tuple[float, float]:
    lo, hi = float(values.min()), float(values.max())
    pad = MARGIN * (hi - lo)
    return lo - pad, hi + pad


def auto_ticks(vmin: float, vmax: float, space: int) -> np.ndarray:
    """The ticks matplotlib's ``AutoLocator`` shows on ``[vmin, vmax]``.

    ``space`` is the axis's ``get_tick_space()``: how many labels fit along it.
    This is ``MaxNLocator(nbins="auto", steps=[1, 2, 2.5, 5, 10])`` without
    offsets, which none of the lesson's ranges need.

    >>> auto_ticks(-1.145, 2.045, 22).tolist()
    [-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0]
    """
    nbins = int(np.clip(space, 1, 9))
    scale = 10 ** (math.log10((vmax - vmin) / nbins) // 1)
    steps = np.concatenate([0.1 * _STEPS[:-1], _STEPS, [10 * _STEPS[1]]]) * scale
    raw_step = (vmax - vmin) / nbins
    istep = np.nonzero(steps >= raw_step)[0][0]
    for step in steps[: istep + 1][::-1]:
        best_vmin = (vmin // step) * step
        low = _edge_le((vmin - best_vmin) / step)
        high = _edge_ge((vmax - best_vmin) / step)
        ticks = np.arange(low, high + 1) * step + best_vmin
        visible = ticks[(ticks >= vmin) & (ticks <= vmax)]
        if len(visible) >= 2:
            return visible
    return visible


def _edge_le(q: float) -> float:
    d, m = divmod(q, 1)
    return d + 1 if abs(m - 1) < 1e-10 else d


def _edge_ge(q: float) -> float:
    d, m = divmod(q, 1)
    return d if abs(m) < 1e-10 else d + 1


def tick_labels(ticks) -> list[str]:
    """Labels as matplotlib's ``ScalarFormatter`` writes them.

    All labels share the fewest decimals that show every tick exactly, and
    negative numbers take the Unicode minus sign.

    >>> tick_labels([-1.0, -0.75, 0.0])
    ['−1.00', '−0.75', '0.00']
    """
    ticks = np.asarray(ticks, dtype=float)
    decimals = next(
        d for d in range(8) if np.allclose(ticks, ticks.round(d), atol=1e-9)
    )
    labels = [f"{t:.{decimals}f}" for t in ticks + 0.0]  # + 0.0 turns −0 into 0
    return [s.replace("-", MINUS) for s in labels]


def _line(fn, start, stop, step, **kwargs) -> Curve:
    return Curve(fn, (start, stop, step), **kwargs)


SPECS: dict[str, FigureSpec] = {
    spec.name: spec
    for spec in (
        FigureSpec(
            "risk",
            (5, 3),
            "x",
            "risk",
            curves=(
                _line(landscapes.f, 0.5, 1.5, 0.01, label="train error"),
                _line(
                    landscapes.g,
                    0.5,
                    1.5,
                    0.01,
                    color=PURPLE,
                    dashes=(3.7, 1.6),
                    label="test error",
                ),
            ),
            annotations=(
                Annotation("empirical risk", (1.0, -1.2), (0.5, -1.1)),
                Annotation("expected risk", (1.1, -1.05), (0.95, -0.5)),
            ),
            legend="upper right",
        ),
        FigureSpec(
            "local_minimum",
            (4.5, 2.5),
            "x",
            "f(x)",
            curves=(_line(landscapes.f, -1.0, 2.0, 0.1),),
            annotations=(
                Annotation("local minimum", (-0.3, -0.25), (-0.77, -1.0)),
                Annotation("global minimum", (1.1, -0.95), (0.6, 0.8)),
            ),
        ),
        FigureSpec(
            "saddle_point",
            (4.5, 2.5),
            "x",
            "f(x)",
            curves=(_line(landscapes.cube, -2.0, 2.0, 0.1),),
            annotations=(Annotation("saddle point", (0, -0.2), (-0.52, -5.0)),),
        ),
        FigureSpec(
            "saddle_3d",
            (6, 4),
            "x",
            "y",
            view3d=View3D(landscapes.saddle),
            box=(0.2558, 0.11, 0.5133, 0.77),
        ),
        FigureSpec(
            "vanishing_gradient",
            (6, 4),
            "x",
            "f(x)",
            curves=(_line(landscapes.tanh, -2.0, 5.0, 0.01),),
            annotations=(Annotation("vanishing gradient", (4, 1), (2, 0.0)),),
        ),
    )
}

# The later English edition names the curves by what they are: g, fitted to the
# training data, is the empirical risk; the smooth f is the expected risk.
CORRECTED_RISK_LEGEND = ("test error", "train error")
