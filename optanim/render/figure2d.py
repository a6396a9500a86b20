"""A :class:`FigureSpec` drawn with Manim in the look of the d2l figures.

The figure keeps its proportions: every length of the original, in inches or
points, maps to scene units through one :class:`FigureLayout`, so the axes box,
ticks, labels and annotations sit where matplotlib puts them, scaled up to fill
the 16:9 frame.

>>> view = FigureView(SPECS["local_minimum"])
>>> view.curves[0].get_num_curves() > 0
True
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from manim import (
    DOWN,
    LEFT,
    ORIGIN,
    RIGHT,
    UP,
    DashedVMobject,
    Line,
    RoundedRectangle,
    Text,
    VGroup,
    VMobject,
    config,
)

from optanim.lesson import figures as fig
from optanim.lesson.figures import SPECS, FigureSpec  # noqa: F401
from optanim.render.theme import LIGHT, Theme

# Pango's cap height of DejaVu Sans, in ems.
_CAP_HEIGHT = 0.729
# DejaVu Sans's ascent and descent (the text box matplotlib clips arrows at), in ems.
_ASCENT, _DESCENT = 0.928, 0.236
# Letters that sit on the baseline with a flat foot.
_FLAT_FOOT = set("BDEFHIKLMNPRTXhiklmnrxz")


@dataclass(frozen=True)
class FigureLayout:
    """Maps the original figure's inches onto the Manim frame.

    The figure's content (axes box and the labels around it) is scaled to fill
    ``fill`` of the frame and centred; ``unit`` is scene units per inch.
    """

    spec: FigureSpec
    unit: float
    origin: np.ndarray  # scene point of the figure's lower-left corner

    @classmethod
    def fit(cls, spec: FigureSpec, fill: float = 0.92) -> FigureLayout:
        w, h = spec.figsize
        left, bottom, bw, bh = spec.box
        if spec.view3d is None:  # room for tick labels and axis labels
            content = (
                left * w - 0.62,
                bottom * h - 0.48,
                (left + bw) * w + 0.12,
                (bottom + bh) * h + 0.12,
            )
        else:
            content = (left * w, bottom * h, (left + bw) * w, (bottom + bh) * h)
        cw, ch = content[2] - content[0], content[3] - content[1]
        unit = fill * min(config.frame_width / cw, config.frame_height / ch)
        centre = np.array(
            [(content[0] + content[2]) / 2, (content[1] + content[3]) / 2]
        )
        return cls(spec, unit, np.append(-centre * unit, 0.0))

    def inches(self, x: float, y: float) -> np.ndarray:
        """The scene point of a figure position given in inches."""
        return self.origin + self.unit * np.array([x, y, 0.0])

    def pt(self, points: float) -> float:
        """A length in typographic points, in scene units."""
        return points / 72 * self.unit

    def stroke(self, points: float) -> float:
        """A line width in points, as Manim's Cairo ``stroke_width``."""
        return self.pt(points) / 0.01

    @property
    def box(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower-left and upper-right corners of the axes box."""
        w, h = self.spec.figsize
        left, bottom, bw, bh = self.spec.box
        return self.inches(left * w, bottom * h), self.inches(
            (left + bw) * w, (bottom + bh) * h
        )

    def axes_point(self, u: float, v: float) -> np.ndarray:
        """The scene point at axes fraction ``(u, v)``: (0, 0) is lower left."""
        lo, hi = self.box
        return lo + (hi - lo) * np.array([u, v, 0.0])

    def c2p(self, x, y) -> np.ndarray:
        """Data coordinates to scene points; ``x`` and ``y`` may be arrays."""
        (x0, x1), (y0, y1) = self.spec.xlim, self.spec.ylim
        u = (np.asarray(x, dtype=float) - x0) / (x1 - x0)
        v = (np.asarray(y, dtype=float) - y0) / (y1 - y0)
        lo, hi = self.box
        return np.stack(
            [
                lo[0] + (hi[0] - lo[0]) * u,
                lo[1] + (hi[1] - lo[1]) * v,
                np.zeros_like(u),
            ],
            axis=-1,
        )

    def normal(self, x: float, slope: float) -> np.ndarray:
        """Unit normal, pointing up, of a curve with data ``slope`` at ``x``."""
        (x0, x1), (y0, y1) = self.spec.xlim, self.spec.ylim
        lo, hi = self.box
        sx, sy = (hi[0] - lo[0]) / (x1 - x0), (hi[1] - lo[1]) / (y1 - y0)
        n = np.array([-sy * slope, sx, 0.0])
        return n / np.linalg.norm(n)


@cache
def _font_size_per_em() -> float:
    """Manim ``font_size`` that sets one em of DejaVu Sans to one scene unit."""
    cap = Text("H", font=fig.FONT, font_size=48).height
    return 48 * _CAP_HEIGHT / cap


def label(text: str, layout: FigureLayout, color: str, size_pt: float = fig.FONT_SIZE):
    """Text in DejaVu Sans at ``size_pt`` points of the original figure."""
    font_size = _font_size_per_em() * layout.pt(size_pt)
    return Text(text, font=fig.FONT, font_size=font_size, color=color)


def baseline_y(text: Text) -> float:
    """The y of ``text``'s baseline, read off its first flat-footed letter, or
    the bottom of its ink when it has none."""
    letters = [c for c in text.text if not c.isspace()]
    for char, glyph in zip(letters, text.submobjects, strict=False):
        if char in _FLAT_FOOT:
            return glyph.get_bottom()[1]
    return text.get_bottom()[1]


def place_at_baseline(text: Text, anchor: np.ndarray) -> Text:
    """Moves ``text`` so that its left end sits on its baseline at ``anchor``."""
    dy = anchor[1] - baseline_y(text)
    return text.shift(np.array([anchor[0] - text.get_left()[0], dy, 0.0]))


class FigureView(VGroup):
    """The mobjects of one 2D figure: ``frame`` (box, ticks, labels), ``curves``,
    ``annotations`` and ``legend``, each a :class:`~manim.VGroup`."""

    def __init__(self, spec: FigureSpec, theme: Theme = LIGHT, layout=None, **kwargs):
        super().__init__(**kwargs)
        self.spec, self.theme = spec, theme
        self.layout = layout or FigureLayout.fit(spec)
        self.frame = self._frame()
        self.curves = VGroup(*(self.curve(c) for c in spec.curves))
        self.annotations = VGroup(*(self.annotation(a) for a in spec.annotations))
        self.legend = self._legend() if spec.legend else VGroup()
        self.add(self.frame, self.curves, self.annotations, self.legend)

    # -- the axes ------------------------------------------------------------
    def _frame(self) -> VGroup:
        lay, ink, spec = self.layout, self.theme.ink, self.spec
        lo, hi = lay.box
        corners = [lo, [hi[0], lo[1], 0], hi, [lo[0], hi[1], 0], lo]
        box = VMobject(stroke_color=ink, stroke_width=lay.stroke(fig.SPINE_WIDTH))
        box.set_points_as_corners([np.asarray(c, dtype=float) for c in corners])
        tick = lay.pt(fig.TICK_LENGTH)
        pad = lay.pt(fig.TICK_PAD)
        ticks, labels = VGroup(), VGroup()
        for x, text in zip(spec.xticks, fig.tick_labels(spec.xticks), strict=True):
            p = lay.c2p(x, spec.ylim[0])
            ticks.add(self._line(p, p + DOWN * tick, fig.SPINE_WIDTH))
            labels.add(label(text, lay, ink).next_to(p + DOWN * tick, DOWN, buff=pad))
        for y, text in zip(spec.yticks, fig.tick_labels(spec.yticks), strict=True):
            p = lay.c2p(spec.xlim[0], y)
            ticks.add(self._line(p, p + LEFT * tick, fig.SPINE_WIDTH))
            labels.add(label(text, lay, ink).next_to(p + LEFT * tick, LEFT, buff=pad))
        # matplotlib aligns x tick labels by their text box, whose top is the ascent.
        for t in labels[: len(spec.xticks)]:
            t.shift(DOWN * lay.pt(fig.FONT_SIZE) * (_ASCENT - _CAP_HEIGHT))
        # Axis labels sit LABEL_PAD beyond the tick labels (ascent + descent).
        em = lay.pt(fig.FONT_SIZE)
        gap = lay.pt(fig.LABEL_PAD) + (_ASCENT + _DESCENT) * em
        xlabel = label(spec.xlabel, lay, ink)
        baseline = labels[: len(spec.xticks)].get_bottom()[1] - gap
        xlabel.shift(UP * (baseline - baseline_y(xlabel)))
        xlabel.set_x((lo[0] + hi[0]) / 2)
        ylabel = label(spec.ylabel, lay, ink)
        below = baseline_y(ylabel) - ylabel.get_bottom()[1]  # ink under the baseline
        ylabel.rotate(np.pi / 2)
        baseline = (
            labels[len(spec.xticks) :].get_left()[0]
            - lay.pt(fig.LABEL_PAD)
            - _DESCENT * em
        )
        ylabel.shift(RIGHT * (baseline + below - ylabel.get_right()[0]))
        ylabel.set_y((lo[1] + hi[1]) / 2)
        return VGroup(box, ticks, labels, xlabel, ylabel)

    def _line(self, start, end, width_pt: float, color: str | None = None) -> Line:
        return Line(
            start,
            end,
            stroke_color=color or self.theme.ink,
            stroke_width=self.layout.stroke(width_pt),
        )

    # -- data ----------------------------------------------------------------
    def curve(self, curve: fig.Curve) -> VMobject:
        """The polyline matplotlib draws through the curve's samples."""
        return self.polyline(
            self.layout.c2p(curve.x, curve.y), curve.color, curve.dashes
        )

    def polyline(self, points, color: str, dashes=None) -> VMobject:
        """A 1.5 pt line through ``points``, dashed as matplotlib dashes it."""
        line = VMobject(
            stroke_color=color, stroke_width=self.layout.stroke(fig.LINE_WIDTH)
        )
        line.set_points_as_corners(points)
        if dashes is None:
            return line
        on, off = (self.layout.pt(d * fig.LINE_WIDTH) for d in dashes)
        count = max(1, round(line.get_arc_length() / (on + off)))
        return DashedVMobject(line, num_dashes=count, dashed_ratio=on / (on + off))

    def annotation(self, a: fig.Annotation) -> VGroup:
        """Text at ``xytext`` (left, baseline) and a ``->`` arrow to ``xy``."""
        lay = self.layout
        em = lay.pt(fig.FONT_SIZE)
        anchor = lay.c2p(*a.xytext)
        text = place_at_baseline(label(a.text, lay, self.theme.ink), anchor)
        base = anchor[1]
        # matplotlib's text box, padded by 2 pt: the arrow leaves it from its centre.
        pad = lay.pt(2)
        x0, x1 = text.get_left()[0] - pad, text.get_right()[0] + pad
        y0, y1 = base - _DESCENT * em - pad, base + _ASCENT * em + pad
        centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2, 0.0])
        tip = lay.c2p(*a.xy)
        direction = (tip - centre) / np.linalg.norm(tip - centre)
        exits = [
            (x1 - centre[0]) / direction[0] if direction[0] > 0 else np.inf,
            (x0 - centre[0]) / direction[0] if direction[0] < 0 else np.inf,
            (y1 - centre[1]) / direction[1] if direction[1] > 0 else np.inf,
            (y0 - centre[1]) / direction[1] if direction[1] < 0 else np.inf,
        ]
        start = centre + direction * (min(exits) + lay.pt(2))
        end = tip - direction * lay.pt(2)
        return VGroup(text, self.arrow(start, end))

    def arrow(self, start: np.ndarray, end: np.ndarray) -> VGroup:
        """matplotlib's ``->``: a 1 pt line with an open head 4 pt long, 2 pt wide."""
        lay = self.layout
        direction = (end - start) / np.linalg.norm(end - start)
        side = np.array([-direction[1], direction[0], 0.0])
        back = end - direction * lay.pt(4)
        head = VMobject(stroke_color=self.theme.ink, stroke_width=lay.stroke(1.0))
        head.set_points_as_corners(
            [back + side * lay.pt(2), end, back - side * lay.pt(2)]
        )
        return VGroup(self._line(start, end, 1.0), head)

    def _legend(self) -> VGroup:
        """matplotlib's legend: a light rounded frame, short handles, labels."""
        lay, em = self.layout, self.layout.pt(fig.FONT_SIZE)
        rows = VGroup()
        for c in self.spec.curves:
            handle = self.polyline([ORIGIN, 2 * em * RIGHT], c.color, c.dashes)
            text = label(c.label or "", lay, self.theme.ink)
            rows.add(VGroup(handle, text.next_to(handle, RIGHT, buff=0.8 * em)))
        rows.arrange(DOWN, aligned_edge=LEFT, buff=0.5 * em)
        box = RoundedRectangle(
            corner_radius=0.2 * em,
            width=rows.width + 0.8 * em,
            height=rows.height + 0.8 * em,
            stroke_color=self.theme.legend_edge,
            stroke_width=lay.stroke(1.0),
            fill_color=self.theme.background,
            fill_opacity=0.8,
        ).move_to(rows)
        corner = lay.axes_point(1, 1) + (DOWN + LEFT) * 0.5 * em
        return VGroup(box, rows).next_to(corner, DOWN + LEFT, buff=0)
