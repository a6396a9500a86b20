"""Compare a rendered frame with a matplotlib original, from the pixels alone.

A scene's last frame and the matplotlib original it reproduces differ in size
and placement: the frame is 16:9, the figure is scaled up and centred in it. So
nothing here trusts pixel positions. Each measurement first finds the axes box
in the image itself (its four black spines) and reports what it measures in the
box's normalized coordinates: ``u`` runs from 0 at the left spine to 1 at the
right one, ``v`` from 0 at the bottom spine to 1 at the top one. The same
measurement applied to both images then gives numbers that can be compared
directly.

Nothing here reads the code that drew either image. The exceptions are
:func:`annotation_windows` and :func:`legend_window`, which ask a matplotlib
figure *where to look* for each annotation and where the legend lies; what is
found there is measured from the pixels.

Images are ``(height, width, 3)`` arrays (an alpha channel is ignored), either
``uint8`` or floats in ``[0, 1]``, on a white background.

Pixel rounding limits agreement: at 100 dpi a pixel is about 0.5 % of a small
figure's box, and matplotlib snaps text and lines to whole pixels. Render the
original near the frame's resolution to compare finely.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

C0 = "#1f77b4"
PURPLE = "#800080"
RED = "#ff0000"

WHITE = np.array([255.0, 255.0, 255.0])
NEUTRAL_CHROMA = 60.0  # max - min of the channels above which a pixel has a hue
SPINE_DARKNESS = 0.3  # anti-aliased spines of 1 px or less are still this dark
INK_DARKNESS = 0.5  # core pixels of text and arrows
RUN_FRACTION = 0.9  # a spine's run is at least this share of the longest run
_EIGHT = np.ones((3, 3), dtype=bool)  # 8-connectivity for labelling


class Box(NamedTuple):
    """A rectangle in pixels: ``x`` are columns, ``y`` are rows (downwards).

    For an axes box these are the centre lines of the spines: ``x0`` left,
    ``y0`` top, ``x1`` right, ``y1`` bottom, with sub-pixel precision.
    """

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def normalize(self, cols, rows) -> tuple[np.ndarray, np.ndarray]:
        """Pixel columns and rows as ``(u, v)``: 0 at left/bottom, 1 at right/top."""
        u = (np.asarray(cols, dtype=float) - self.x0) / self.width
        v = (self.y1 - np.asarray(rows, dtype=float)) / self.height
        return u, v

    def pixels(self, u, v) -> tuple[np.ndarray, np.ndarray]:
        """Normalized ``(u, v)`` as pixel ``(cols, rows)``; inverse of normalize."""
        cols = self.x0 + np.asarray(u, dtype=float) * self.width
        rows = self.y1 - np.asarray(v, dtype=float) * self.height
        return cols, rows


class Window(NamedTuple):
    """A rectangle in a box's normalized coordinates (``v`` upwards)."""

    u0: float
    v0: float
    u1: float
    v1: float

    def padded(self, pad: float) -> Window:
        """The window grown by ``pad`` (normalized units) on every side."""
        return Window(self.u0 - pad, self.v0 - pad, self.u1 + pad, self.v1 + pad)


class AnnotationWindows(NamedTuple):
    """Where to look for one annotation: its text, and its arrow."""

    text: Window
    arrow: Window


class AnnotationMarks(NamedTuple):
    """What one annotation looks like in an image, in normalized box units.

    Attributes
    ----------
    text : Window
        Bounding box of the text's ink (not of its layout box: a text without
        descenders ends at its baseline).
    tip : tuple of float
        ``(u, v)`` of the arrow's end farthest from the text.
    baseline : float
        ``v`` of the line most of the text's glyphs stand on.
    """

    text: Window
    tip: tuple[float, float]
    baseline: float

    @property
    def anchor(self) -> tuple[float, float]:
        """Left and bottom of the text's ink, ``(u, v)``."""
        return self.text.u0, self.text.v0

    @property
    def origin(self) -> tuple[float, float]:
        """Left of the text's ink on its baseline, ``(u, v)``: where matplotlib
        anchors the text of an annotation (``xytext``), give or take the first
        letter's side bearing."""
        return self.text.u0, self.baseline

    def deviation(self, other: AnnotationMarks) -> float:
        """Largest difference of anchor or tip coordinates from ``other``'s."""
        ours = np.array([*self.anchor, *self.tip])
        theirs = np.array([*other.anchor, *other.tip])
        return float(np.abs(ours - theirs).max())


class Wireframe(NamedTuple):
    """A 3D wireframe's footprint in an image.

    Attributes
    ----------
    box : Box
        Bounding box of the wireframe's line pixels.
    marker : tuple of float
        ``(u, v)`` of the marker's centroid, normalized to ``box``.
    """

    box: Box
    marker: tuple[float, float]


# -- pixels ------------------------------------------------------------------


def figure_rgb(fig) -> np.ndarray:
    """Rasterize a matplotlib figure with Agg; an ``(h, w, 3)`` ``uint8`` array.

    Works for figures made with ``matplotlib.figure.Figure`` directly, which
    have no drawing canvas of their own.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def _rgb(img) -> np.ndarray:
    """The image as floats in ``[0, 255]``, without alpha."""
    arr = np.asarray(img)[..., :3]
    if arr.dtype.kind == "f" and arr.max() <= 1.0:
        return arr * 255.0
    return arr.astype(float)


def hex_rgb(color: str) -> np.ndarray:
    """``"#rrggbb"`` as three floats in ``[0, 255]``."""
    color = color.lstrip("#")
    return np.array([int(color[i : i + 2], 16) for i in (0, 2, 4)], dtype=float)


def darkness(img) -> np.ndarray:
    """How dark each grey pixel is, 0 (white) to 1 (black); 0 for hued pixels.

    Black text, arrows and spines anti-alias to greys; a coloured curve (even a
    dark one, like C0 blue) has a hue and does not count as dark.
    """
    rgb = _rgb(img)
    chroma = rgb.max(axis=-1) - rgb.min(axis=-1)
    dark = 1.0 - rgb.mean(axis=-1) / 255.0
    return np.where(chroma < NEUTRAL_CHROMA, dark, 0.0)


def line_pixels(img, color: str, tol: float = 0.35) -> np.ndarray:
    """Boolean mask of the pixels drawn in ``color``, anti-aliased fringe excluded.

    A pixel counts when its distance to ``color`` is at most ``tol`` times the
    distance from white to ``color``: a line blended over white counts where it
    covers more than ``1 - tol`` of the pixel.
    """
    target = hex_rgb(color)
    dist = np.linalg.norm(_rgb(img) - target, axis=-1)
    return dist <= tol * np.linalg.norm(WHITE - target)


# -- the axes box --------------------------------------------------------------


def _longest_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Length and start column of the longest run of True in each row."""
    h, w = mask.shape
    edges = np.zeros((h, w + 2), dtype=np.int8)
    edges[:, 1:-1] = mask
    steps = np.diff(edges, axis=1)
    rows, starts = np.nonzero(steps == 1)
    _, ends = np.nonzero(steps == -1)  # same order: one end per start, same row
    lengths = ends - starts
    best_len = np.zeros(h, dtype=int)
    best_start = np.zeros(h, dtype=int)
    order = np.lexsort((lengths, rows))  # by row, then by length
    rows, lengths, starts = rows[order], lengths[order], starts[order]
    last = np.append(rows[1:] != rows[:-1], True)  # each row's longest run
    best_len[rows[last]] = lengths[last]
    best_start[rows[last]] = starts[last]
    return best_len, best_start


def _spine_lines(dark: np.ndarray) -> tuple[float, float, int, int]:
    """Centre rows of the first and last long horizontal dark runs, and the span.

    Returns the two rows (sub-pixel) and the columns ``[start, stop)`` shared by
    the runs.
    """
    lengths, starts = _longest_runs(dark > SPINE_DARKNESS)
    longest = lengths.max()
    if longest < 0.2 * dark.shape[1]:
        raise ValueError("no long dark lines: is there an axes box in this image?")
    rows = np.nonzero(lengths >= RUN_FRACTION * longest)[0]
    groups = np.split(rows, np.nonzero(np.diff(rows) > 1)[0] + 1)
    if len(groups) < 2:
        raise ValueError("found one long dark line, expected two parallel spines")
    first, last = groups[0], groups[-1]
    start = int(max(starts[first].max(), starts[last].max()))
    stop = int(min((starts + lengths)[first].min(), (starts + lengths)[last].min()))
    # Where the spine straddles two rows, weigh each by its darkness. The median
    # along the spine ignores tick marks, which touch it at a few columns only.
    inner = slice(start + (stop - start) // 10, stop - (stop - start) // 10)
    profile = np.median(dark[:, inner], axis=1)
    centres = []
    for group in (first, last):
        near = np.arange(max(group[0] - 2, 0), min(group[-1] + 3, len(profile)))
        weights = profile[near]
        centres.append(float((near * weights).sum() / weights.sum()))
    return centres[0], centres[1], start, stop


def axes_box(img) -> Box:
    """Find the axes box of a 2D plot from its four black spines.

    The spines are the longest dark horizontal and vertical runs of pixels; tick
    marks point outwards, so they are short runs outside the box. Spines may be
    anti-aliased and 1 to 3 px wide: each is located at the darkness-weighted
    centre of its rows (or columns).

    Parameters
    ----------
    img : array_like
        ``(h, w, 3)`` image on a white background.

    Returns
    -------
    Box
        Centre lines of the left, top, right and bottom spines, in pixels.

    Raises
    ------
    ValueError
        If fewer than two parallel long dark lines are found either way.
    """
    dark = darkness(img)
    top, bottom, _, _ = _spine_lines(dark)
    left, right, _, _ = _spine_lines(dark.T)
    return Box(left, top, right, bottom)


def _interior(box: Box, margin: float | None) -> tuple[int, int, int, int]:
    """Rows ``[r0, r1)`` and columns ``[c0, c1)`` inside the box, off the spines."""
    if margin is None:
        margin = max(3.0, 0.01 * min(box.width, box.height))
    r0 = int(np.ceil(box.y0 + margin))
    r1 = int(np.floor(box.y1 - margin)) + 1
    c0 = int(np.ceil(box.x0 + margin))
    c1 = int(np.floor(box.x1 - margin)) + 1
    return r0, r1, c0, c1


def _crop(box: Box, window: Window, margin: float | None = None):
    """Row and column slices of ``window``, clipped to the box's interior."""
    r0, r1, c0, c1 = _interior(box, margin)
    (left, right), (bottom, top) = box.pixels(
        [window.u0, window.u1], [window.v0, window.v1]
    )
    rows = slice(max(r0, int(np.floor(top))), min(r1, int(np.ceil(bottom)) + 1))
    cols = slice(max(c0, int(np.floor(left))), min(c1, int(np.ceil(right)) + 1))
    return rows, cols


# -- curves --------------------------------------------------------------------


def curve_points(
    img,
    box: Box,
    color: str = C0,
    tol: float = 0.35,
    margin: float | None = None,
    exclude: Sequence[Window] = (),
) -> np.ndarray:
    """Pixels of a curve's colour inside the axes box, in normalized coordinates.

    Parameters
    ----------
    img : array_like
        ``(h, w, 3)`` image.
    box : Box
        The axes box, from :func:`axes_box`.
    color : str
        The curve's colour, ``"#rrggbb"``.
    tol : float
        Colour tolerance, relative to the distance from white (see
        :func:`line_pixels`); only the curve's core pixels count.
    margin : float, optional
        Pixels next to the spines to leave out; by default 3 px or 1 % of the
        box's smaller side, whichever is more.
    exclude : sequence of Window
        Regions to leave out, such as a legend.

    Returns
    -------
    numpy.ndarray
        ``(n, 2)`` array of ``(u, v)``.
    """
    r0, r1, c0, c1 = _interior(box, margin)
    mask = np.zeros(np.shape(img)[:2], dtype=bool)
    mask[r0:r1, c0:c1] = line_pixels(np.asarray(img)[r0:r1, c0:c1], color, tol)
    rows, cols = np.nonzero(mask)
    u, v = box.normalize(cols, rows)
    keep = np.ones(len(u), dtype=bool)
    for w in exclude:
        keep &= ~((u >= w.u0) & (u <= w.u1) & (v >= w.v0) & (v <= w.v1))
    return np.column_stack([u[keep], v[keep]])


def mean_curve_distance(a_pts: np.ndarray, b_pts: np.ndarray) -> float:
    """Symmetric mean nearest-neighbour distance between two point sets.

    The mean distance from each point of ``a_pts`` to the nearest point of
    ``b_pts``, averaged with the same the other way round. Points are ``(u, v)``
    rows, so the result is in normalized box units; ``inf`` if either set is
    empty.
    """
    a_pts = np.asarray(a_pts, dtype=float)
    b_pts = np.asarray(b_pts, dtype=float)
    if len(a_pts) == 0 or len(b_pts) == 0:
        return float("inf")
    a_to_b, _ = cKDTree(b_pts).query(a_pts)
    b_to_a, _ = cKDTree(a_pts).query(b_pts)
    return float((a_to_b.mean() + b_to_a.mean()) / 2)


# -- line styles ---------------------------------------------------------------


class Dashes(NamedTuple):
    """How a curve's ink breaks into pieces along its length.

    Attributes
    ----------
    lengths : numpy.ndarray
        Each piece's length in pixels: the diagonal of its bounding box.
    ink : numpy.ndarray
        Each piece's number of pixels.
    spacing : float
        Median distance in pixels from a piece's centre to the nearest other
        piece's: the dash period, along a dashed curve; ``inf`` for one piece.
    coverage : float
        Share of the pixel columns from the curve's left end to its right end
        that hold some of its ink.
    """

    lengths: np.ndarray
    ink: np.ndarray
    spacing: float
    coverage: float

    @property
    def gaps(self) -> int:
        return len(self.lengths) - 1

    def share_shorter(self, length: float) -> float:
        """Share of the ink in pieces shorter than ``length`` pixels."""
        return float(self.ink[self.lengths < length].sum() / self.ink.sum())


SPECK = 3  # pixels: smaller pieces are anti-aliasing fringes, not dashes


def dashes(
    img,
    box: Box,
    color: str,
    tol: float = 0.35,
    margin: float | None = None,
    exclude: Sequence[Window] = (),
) -> Dashes:
    """The pieces of a curve of ``color`` inside the axes box.

    A solid curve is one piece, or a few where other lines cross over it; a
    dashed one is a row of short pieces one dash period apart. Only hued pixels
    count, so the grey fringe of black text never passes for a dark colour.

    Parameters
    ----------
    img, box, color, tol, margin, exclude
        As in :func:`curve_points`; ``exclude`` should hold the legend, whose
        handles are short pieces of the same colours.

    Raises
    ------
    ValueError
        If no piece of the colour is found.
    """
    rgb = _rgb(img)
    r0, r1, c0, c1 = _interior(box, margin)
    mask = np.zeros(rgb.shape[:2], dtype=bool)
    inner = rgb[r0:r1, c0:c1]
    hued = inner.max(axis=-1) - inner.min(axis=-1) >= NEUTRAL_CHROMA
    mask[r0:r1, c0:c1] = line_pixels(inner, color, tol) & hued
    for window in exclude:
        mask[_crop(box, window, margin)] = False
    labels, count = ndimage.label(mask, structure=_EIGHT)
    index = np.arange(1, count + 1)
    ink = ndimage.sum_labels(mask, labels, index)
    keep = index[ink >= SPECK]
    if len(keep) == 0:
        raise ValueError(f"no {color} curve inside the box")
    pieces = ndimage.find_objects(labels)
    lengths = np.array(
        [np.hypot(*(s.stop - s.start for s in pieces[i - 1])) for i in keep]
    )
    centres = np.array(ndimage.center_of_mass(mask, labels, keep))
    # The nearest other piece of a single piece is infinitely far.
    nearest, _ = cKDTree(centres).query(centres, k=2)
    columns = np.isin(labels, keep).any(axis=0)
    ends = np.nonzero(columns)[0]
    return Dashes(
        lengths=lengths,
        ink=ink[keep - 1],
        spacing=float(np.median(nearest[:, 1])),
        coverage=float(columns[ends[0] : ends[-1] + 1].mean()),
    )


def line_style(pieces: Dashes, period: float) -> str:
    """``"dashed"``, ``"solid"`` or ``"unclear"``: how a curve looks.

    Dashed: at least 80 % of the ink lies in pieces shorter than 1.5 periods,
    spaced one ``period`` (pixels) apart, within 15 %. Solid: at least 90 % of
    the ink lies in pieces of 4 periods or more. A dash pattern of another
    period is neither.
    """
    if (
        pieces.share_shorter(1.5 * period) >= 0.8
        and abs(pieces.spacing / period - 1) <= 0.15
    ):
        return "dashed"
    if pieces.share_shorter(4 * period) <= 0.1:
        return "solid"
    return "unclear"


def legend_window(fig, pad: float = 0.02) -> Window:
    """Where the legend of a matplotlib figure's first axes lies, grown by ``pad``.

    Like :func:`annotation_windows`, this says only where to look (here: where
    not to look for curves), in any image of the same figure.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    ax = fig.axes[0]
    extent = ax.get_legend().get_window_extent(renderer)
    (u0, v0), (u1, v1) = ax.transAxes.inverted().transform(extent.get_points())
    return Window(float(u0), float(v0), float(u1), float(v1)).padded(pad)


# -- annotations ---------------------------------------------------------------


ARROW_SHRINK = 2.0  # points: matplotlib's annotation arrows stop this short of xy


def arrow_end(
    xy: tuple[float, float], start: tuple[float, float], box_points: tuple[float, float]
) -> tuple[float, float]:
    """Where an annotation's arrow from ``start`` towards ``xy`` ends.

    Matplotlib stops it :data:`ARROW_SHRINK` points short of ``xy`` (the
    arrow's ``shrinkB``), on the line from ``start``, which is the centre of
    the text. ``xy`` and ``start`` are ``(u, v)`` in box units; ``box_points``
    is the box's width and height in points.

    >>> arrow_end((0.5, 1.0), (0.5, 0.0), (100.0, 100.0))
    (0.5, 0.98)
    """
    size = np.asarray(box_points, dtype=float)
    way = (np.asarray(xy, dtype=float) - start) * size  # in points
    end = np.asarray(xy) - ARROW_SHRINK * way / np.hypot(*way) / size
    return float(end[0]), float(end[1])


def annotation_windows(
    fig, text_pad: float = 0.04, arrow_pad: float = 0.08
) -> list[AnnotationWindows]:
    """Search windows for the annotations of a matplotlib figure's first axes.

    Matplotlib's layout boxes of each annotation's text and arrow, in the box's
    normalized coordinates, grown by ``text_pad`` and ``arrow_pad``. These say
    only where to look: :func:`annotation_marks` measures what is there, in
    any image of the same figure.

    A text window should not reach other text: whole glyphs inside it count as
    the annotation's text. An arrow window may be generous, since only the dark
    piece that starts at the text counts as its arrow; it bounds how far a
    misplaced tip can be seen to move.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Annotation, Text

    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)  # lays out the text and routes the arrows
    ax = fig.axes[0]
    to_box = ax.transAxes.inverted()

    def window(extent, pad: float) -> Window:
        (u0, v0), (u1, v1) = to_box.transform(extent.get_points())
        return Window(u0, v0, u1, v1).padded(pad)

    return [
        AnnotationWindows(
            text=window(Text.get_window_extent(ann, renderer), text_pad),
            arrow=window(ann.arrow_patch.get_window_extent(renderer), arrow_pad),
        )
        for ann in ax.texts
        if isinstance(ann, Annotation) and ann.arrow_patch is not None
    ]


def text_ink(img, box: Box, window: Window, dark=None) -> Window:
    """Bounding box of the dark glyphs lying wholly inside ``window``.

    Dark connected pieces that cross the window's edge (the arrow leaving the
    text, a spine) are not part of the text. Coloured pixels (curves) never are.
    ``dark`` may pass ``darkness(img)`` when measuring several annotations.

    Returns
    -------
    Window
        The ink's left, bottom, right and top, in normalized box coordinates.

    Raises
    ------
    ValueError
        If no glyph lies wholly inside the window.
    """
    glyphs, rows, cols = _glyphs(img, box, window, dark)
    r, c = np.nonzero(glyphs > 0)
    (u0, u1), (v0, v1) = box.normalize(
        [c.min() + cols.start, c.max() + cols.start],
        [r.max() + rows.start, r.min() + rows.start],
    )
    return Window(float(u0), float(v0), float(u1), float(v1))


def _glyphs(img, box: Box, window: Window, dark=None):
    """Dark pieces wholly inside ``window``, labelled 1, 2, ... (0 elsewhere),
    with the row and column slices of the window they are labelled in."""
    dark = darkness(img) if dark is None else dark
    rows, cols = _crop(box, window)
    ink = dark[rows, cols] > INK_DARKNESS
    labels, _ = ndimage.label(ink, structure=_EIGHT)
    h, w = ink.shape
    inside = [
        i
        for i, (rs, cs) in enumerate(ndimage.find_objects(labels), start=1)
        if rs.start > 0 and cs.start > 0 and rs.stop < h and cs.stop < w
    ]
    if not inside:
        raise ValueError(f"no text inside {window}")
    glyphs, _ = ndimage.label(np.isin(labels, inside), structure=_EIGHT)
    return glyphs, rows, cols


def text_baseline(img, box: Box, window: Window, dark=None) -> float:
    """``v`` of the baseline of the text inside ``window``.

    Most glyphs stand on the baseline; descenders (p, g) reach below it and
    dots (i) float above it, so the median of the pieces' lowest rows is the
    baseline: the lower edge of the lowest pixel row that is inked. ``dark``
    as in :func:`text_ink`.

    Raises
    ------
    ValueError
        If no glyph lies wholly inside the window.
    """
    glyphs, rows, _ = _glyphs(img, box, window, dark)
    bottoms = [r.stop for r, _ in ndimage.find_objects(glyphs)]
    # Row r spans r - 0.5 to r + 0.5 (rows are pixel centres, as in Box).
    _, v = box.normalize(0, np.median(bottoms) - 0.5 + rows.start)
    return float(v)


def arrow_tip(
    img, box: Box, window: Window, text: Window, dark=None
) -> tuple[float, float]:
    """End of the arrow leaving ``text``, farthest from the text's centre.

    Within ``window`` (outside the text's ink box), dark pixels are grouped into
    connected pieces, bridging gaps up to about 1.5 % of the box height (where a
    curve is drawn over the arrow). The piece that comes closest to the text is
    its arrow; its pixels farthest from the text's centre are its tip. ``text``
    is the text's ink box, from :func:`text_ink`; ``dark`` as there.

    Returns
    -------
    tuple of float
        ``(u, v)`` of the tip.

    Raises
    ------
    ValueError
        If the window holds no dark pixels outside the text.
    """
    dark = darkness(img) if dark is None else dark
    rows, cols = _crop(box, window)
    ink = dark[rows, cols] > INK_DARKNESS
    # Leave out the text, with a couple of pixels' clearance.
    clear = 2.0 + 0.005 * box.height
    (tl, tr), (tb, tt) = box.pixels([text.u0, text.u1], [text.v0, text.v1])
    r_idx = np.arange(rows.start, rows.stop)[:, None]
    c_idx = np.arange(cols.start, cols.stop)[None, :]
    in_text = (
        (c_idx >= tl - clear)
        & (c_idx <= tr + clear)
        & (r_idx >= tt - clear)
        & (r_idx <= tb + clear)
    )
    ink &= ~in_text
    if not ink.any():
        raise ValueError(f"no arrow inside {window}")
    bridge = max(1, int(np.ceil(0.008 * box.height)))
    groups, _ = ndimage.label(
        ndimage.binary_dilation(ink, _EIGHT, iterations=bridge), structure=_EIGHT
    )
    r, c = np.nonzero(ink)
    label = groups[r, c]
    r, c = r + rows.start, c + cols.start
    # Distance of each pixel to the text's ink box; the arrow starts next to it.
    to_box = np.hypot(
        np.maximum(np.maximum(tl - c, c - tr), 0),
        np.maximum(np.maximum(tt - r, r - tb), 0),
    )
    arrow = label == label[np.argmin(to_box)]
    r, c = r[arrow], c[arrow]
    from_centre = np.hypot(c - (tl + tr) / 2, r - (tt + tb) / 2)
    end = from_centre >= from_centre.max() - max(1.0, 0.004 * box.height)
    weights = dark[r[end], c[end]]
    u, v = box.normalize(
        (c[end] * weights).sum() / weights.sum(),
        (r[end] * weights).sum() / weights.sum(),
    )
    return float(u), float(v)


def annotation_marks(img, box: Box, windows: AnnotationWindows) -> AnnotationMarks:
    """Measure one annotation's text ink box and arrow tip inside its windows.

    Parameters
    ----------
    img : array_like
        ``(h, w, 3)`` image.
    box : Box
        The image's axes box, from :func:`axes_box`.
    windows : AnnotationWindows
        Where the text and the arrow lie, in normalized box coordinates (from
        :func:`annotation_windows` of the original figure, whichever image is
        measured).

    Returns
    -------
    AnnotationMarks
        Text ink box, arrow tip and baseline, in normalized box coordinates.
    """
    dark = darkness(img)
    text = text_ink(img, box, windows.text, dark)
    tip = arrow_tip(img, box, windows.arrow, text, dark)
    return AnnotationMarks(text, tip, text_baseline(img, box, windows.text, dark))


# -- 3D wireframes -------------------------------------------------------------


def ink_points(img, margin: float = 0.01) -> np.ndarray:
    """Black ink (text, arrows, outlines) inside the axes box, as ``(u, v)``."""
    box = axes_box(img)
    rows, cols = np.nonzero(darkness(img) > INK_DARKNESS)
    u, v = box.normalize(cols, rows)
    inside = (u > margin) & (u < 1 - margin) & (v > margin) & (v < 1 - margin)
    return np.column_stack([u[inside], v[inside]])


def _bounding_box(mask: np.ndarray) -> Box:
    rows, cols = np.nonzero(mask)
    if len(rows) == 0:
        raise ValueError("empty mask")
    left, right = float(cols.min()), float(cols.max())
    return Box(left, float(rows.min()), right, float(rows.max()))


def wireframe(
    img, color: str = C0, marker_color: str = RED, tol: float = 0.35
) -> Wireframe:
    """Bounding box of a wireframe's lines, and its marker's place inside it.

    Parameters
    ----------
    img : array_like
        ``(h, w, 3)`` image.
    color, marker_color : str
        Colours of the wireframe's lines and of the marker.
    tol : float
        Colour tolerance, as in :func:`line_pixels`.

    Returns
    -------
    Wireframe
        The lines' bounding box in pixels, and the centroid of the marker's
        pixels in that box's normalized coordinates (``v`` upwards).
    """
    box = _bounding_box(line_pixels(img, color, tol))
    rows, cols = np.nonzero(line_pixels(img, marker_color, tol))
    if len(rows) == 0:
        raise ValueError(f"no {marker_color} marker")
    u, v = box.normalize(cols.mean(), rows.mean())
    return Wireframe(box, (float(u), float(v)))


def _normalized_points(mask: np.ndarray) -> np.ndarray:
    rows, cols = np.nonzero(mask)
    u, v = _bounding_box(mask).normalize(cols, rows)
    return np.column_stack([u, v])


def wireframe_overlap(mask_a: np.ndarray, mask_b: np.ndarray, k: float = 0.02) -> float:
    """How well two line masks overlap once each is scaled to its bounding box.

    Both masks' pixels are mapped to their own bounding box's normalized
    coordinates. The score is the fraction of A's pixels within ``k`` of one of
    B's, or the same the other way round, whichever is smaller: a missing or an
    extra part of the drawing lowers it.

    Returns
    -------
    float
        Between 0 (no overlap) and 1 (every pixel has a partner).
    """
    a_pts, b_pts = _normalized_points(mask_a), _normalized_points(mask_b)
    a_to_b, _ = cKDTree(b_pts).query(a_pts, distance_upper_bound=k)
    b_to_a, _ = cKDTree(a_pts).query(b_pts, distance_upper_bound=k)
    return float(min(np.isfinite(a_to_b).mean(), np.isfinite(b_to_a).mean()))
