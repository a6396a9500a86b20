"""The original figures, rebuilt with matplotlib from their :class:`FigureSpec`.

This is the reference every scene's last frame is compared with: the same calls
the lesson's ``d2l`` helpers make, fed from the spec instead of a notebook.

>>> fig = draw_original(SPECS["local_minimum"])
>>> fig.axes[0].get_xlim() == SPECS["local_minimum"].xlim
True
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from optanim.lesson.figures import SPECS, FigureSpec  # noqa: E402,F401


def draw_original(spec: FigureSpec, dpi: float = 100) -> Figure:
    """The original figure of ``spec``, in matplotlib's default style."""
    with plt.style.context("default"):
        fig = Figure(figsize=spec.figsize, dpi=dpi)
        if spec.view3d is not None:
            _draw_3d(fig, spec)
        else:
            _draw_2d(fig, spec)
    return fig


def _draw_2d(fig: Figure, spec: FigureSpec) -> None:
    ax = fig.add_axes(spec.box)
    for curve in spec.curves:
        style = {"dashes": curve.dashes} if curve.dashes else {}
        ax.plot(curve.x, curve.y, color=curve.color, label=curve.label, **style)
    for a in spec.annotations:
        ax.annotate(a.text, a.xy, a.xytext, arrowprops={"arrowstyle": "->"})
    ax.set_xlabel(spec.xlabel)
    ax.set_ylabel(spec.ylabel)
    if spec.legend:
        ax.legend(loc=spec.legend)


def _draw_3d(fig: Figure, spec: FigureSpec) -> None:
    view = spec.view3d
    ax = fig.add_subplot(projection="3d")  # its equal aspect shrinks it to spec.box
    x, y, z = view.mesh()
    ax.plot_wireframe(x, y, z, rstride=view.stride, cstride=view.stride)
    ax.plot(
        *([c] for c in view.marker),
        "o",
        color=view.marker_color,
        markersize=view.marker_size,
    )
    ax.set_xticks(view.ticks)
    ax.set_yticks(view.ticks)
    ax.set_zticks(view.ticks)
    ax.set_xlabel(spec.xlabel)
    ax.set_ylabel(spec.ylabel)
