"""framematch measures the same geometry in any rendering of a figure.

Only matplotlib draws here: each original at several resolutions, and pasted at
an offset onto a larger 16:9 white canvas, as a scene's frame would hold it.
Measurements of the same figure must agree; a shifted curve, a moved annotation
or another camera angle must not.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pytest

from optanim.lesson.figures import SPECS, FigureSpec
from optanim.qa.framematch import (
    C0,
    PURPLE,
    AnnotationMarks,
    annotation_marks,
    annotation_windows,
    arrow_end,
    axes_box,
    curve_points,
    dashes,
    figure_rgb,
    legend_window,
    line_pixels,
    line_style,
    mean_curve_distance,
    wireframe,
    wireframe_overlap,
)
from optanim.qa.original import draw_original

FLAT = ("risk", "local_minimum", "saddle_point", "vanishing_gradient")
REFERENCE_DPI = 100
CURVE_THRESHOLD = 0.015  # what a scene's curve may be off by, in box units
MARK_THRESHOLD = 0.03  # what a scene's annotation may be off by, in box units
CANVAS_OFFSET = (37, 171)  # rows, columns


def on_canvas(img: np.ndarray, height: int = 480) -> np.ndarray:
    """``img`` pasted at ``CANVAS_OFFSET`` onto a white 16:9 canvas."""
    canvas = np.full((height, height * 16 // 9, 3), 255, dtype=np.uint8)
    top, left = CANVAS_OFFSET
    canvas[top : top + img.shape[0], left : left + img.shape[1]] = img
    return canvas


def render(spec: FigureSpec, dpi: float, edit=None) -> np.ndarray:
    fig = draw_original(spec, dpi)
    if edit is not None:
        edit(fig.axes[0])
    img = figure_rgb(fig)
    img.flags.writeable = False
    return img


@functools.cache
def original(name: str, dpi: float) -> np.ndarray:
    return render(SPECS[name], dpi)


def variants(name: str) -> dict[str, np.ndarray]:
    """The same figure rendered differently from the reference."""
    return {
        "150 dpi": original(name, 150),
        "72 dpi on 854x480": on_canvas(original(name, 72)),
    }


@functools.cache
def windows(name: str):
    return annotation_windows(draw_original(SPECS[name], REFERENCE_DPI))


def marks(img: np.ndarray, name: str) -> list[AnnotationMarks]:
    box = axes_box(img)
    return [annotation_marks(img, box, w) for w in windows(name)]


@functools.cache
def reference(name: str):
    """Box, C0 curve points and annotation marks of the reference render."""
    img = original(name, REFERENCE_DPI)
    box = axes_box(img)
    return box, curve_points(img, box, C0), marks(img, name)


# -- the axes box --------------------------------------------------------------


@pytest.mark.parametrize("dpi", [72, REFERENCE_DPI, 150, 270])  # spines 0.8-3 px
@pytest.mark.parametrize("name", FLAT)
def test_axes_box_lies_on_the_spines(name, dpi):
    img = original(name, dpi)
    fig = draw_original(SPECS[name], dpi)
    ext = fig.axes[0].get_window_extent()
    height = img.shape[0]
    expected = (ext.x0, height - ext.y1, ext.x1, height - ext.y0)
    np.testing.assert_allclose(axes_box(img), expected, atol=1.0)


@pytest.mark.parametrize("name", FLAT)
def test_axes_box_follows_the_figure_on_a_canvas(name):
    img = original(name, REFERENCE_DPI)
    top, left = CANVAS_OFFSET
    shifted = np.array(axes_box(img)) + [left, top, left, top]
    np.testing.assert_allclose(axes_box(on_canvas(img)), shifted, atol=1e-9)


# -- curves --------------------------------------------------------------------


@pytest.mark.parametrize("name", FLAT)
def test_curve_points_lie_inside_the_box(name):
    _, points, _ = reference(name)
    assert len(points) > 300
    assert ((points > 0) & (points < 1)).all()


@pytest.mark.parametrize("variant", ["150 dpi", "72 dpi on 854x480"])
@pytest.mark.parametrize("name", FLAT)
def test_same_curve_at_another_size_matches(name, variant):
    img = variants(name)[variant]
    points = curve_points(img, axes_box(img), C0)
    assert mean_curve_distance(reference(name)[1], points) < 0.005


def test_dashed_curve_at_another_size_matches():
    ref, other = original("risk", REFERENCE_DPI), original("risk", 150)
    a = curve_points(ref, axes_box(ref), PURPLE)
    b = curve_points(other, axes_box(other), PURPLE)
    assert mean_curve_distance(a, b) < 0.005


@pytest.mark.parametrize("name", FLAT)
def test_shifted_curve_is_detected(name):
    spec = SPECS[name]
    shift = 0.1 * (spec.ylim[1] - spec.ylim[0])  # 0.31 for f on local_minimum

    def lift(ax):
        ax.set(xlim=spec.xlim, ylim=spec.ylim)  # the box keeps its scale
        curve = spec.curves[0]
        ax.lines[0].set_data(curve.x, curve.y + shift)

    img = render(spec, 150, lift)
    points = curve_points(img, axes_box(img), C0)
    assert mean_curve_distance(reference(name)[1], points) > CURVE_THRESHOLD


def test_mean_curve_distance_is_symmetric_and_in_box_units():
    a = np.column_stack([np.linspace(0, 1, 500), np.full(500, 0.5)])
    assert mean_curve_distance(a, a + [0, 0.02]) == pytest.approx(0.02)
    assert mean_curve_distance(a, a[:250]) == mean_curve_distance(a[:250], a)
    assert mean_curve_distance(a, np.empty((0, 2))) == np.inf


# -- line styles ---------------------------------------------------------------

RISK = SPECS["risk"]
DASHED = (3.7, 1.6)  # matplotlib's "--", in line widths


def restyled(f_dashes, g_dashes) -> FigureSpec:
    """The risk figure with f and g drawn with these dash patterns (None: solid)."""
    f, g = RISK.curves
    curves = (
        dataclasses.replace(f, dashes=f_dashes),
        dataclasses.replace(g, dashes=g_dashes),
    )
    return dataclasses.replace(RISK, curves=curves)


@functools.cache
def legend() -> list:
    return [legend_window(draw_original(RISK))]


def style(img: np.ndarray, color: str, pattern=DASHED) -> str:
    """How the curve of ``color`` looks, held to the dash period of ``pattern``."""
    box = axes_box(img)
    period = sum(pattern) * 1.5 * box.width / (RISK.box_inches[0] * 72)
    return line_style(dashes(img, box, color, exclude=legend()), period)


@pytest.mark.parametrize("dpi", [72, REFERENCE_DPI])
@pytest.mark.parametrize(
    ("f_dashes", "g_dashes"),
    [(None, DASHED), (None, None), (DASHED, None), (DASHED, DASHED)],
)
def test_dashed_and_solid_curves_are_told_apart(f_dashes, g_dashes, dpi):
    img = on_canvas(render(restyled(f_dashes, g_dashes), dpi))
    expected = ["solid" if d is None else "dashed" for d in (f_dashes, g_dashes)]
    assert [style(img, C0), style(img, PURPLE)] == expected


def test_another_dash_period_is_not_the_lessons():
    img = render(restyled(None, (6.0, 6.0)), REFERENCE_DPI)
    assert style(img, PURPLE) == "unclear"
    assert style(img, PURPLE, pattern=(6.0, 6.0)) == "dashed"


def test_dashes_measure_the_gaps():
    img = original("risk", REFERENCE_DPI)
    box = axes_box(img)
    period = sum(DASHED) * 1.5 * box.width / (RISK.box_inches[0] * 72)
    g = dashes(img, box, PURPLE, exclude=legend())
    assert g.spacing == pytest.approx(period, rel=0.05)
    assert g.gaps > 40  # about the curve's length over the period
    assert 0.7 < g.coverage < 0.9
    f = dashes(img, box, C0, exclude=legend())
    assert f.gaps <= 5  # where g's dashes cross it
    assert f.coverage > 0.98


def test_legend_handles_are_left_out():
    img = original("risk", REFERENCE_DPI)
    box = axes_box(img)
    period = sum(DASHED) * 1.5 * box.width / (RISK.box_inches[0] * 72)
    handle = dashes(img, box, C0)  # the legend's short line counts as a piece
    assert handle.share_shorter(4 * period) > 0.02
    assert dashes(img, box, C0, exclude=legend()).share_shorter(4 * period) == 0


# -- annotations ---------------------------------------------------------------


@pytest.mark.parametrize("variant", ["150 dpi", "72 dpi on 854x480"])
@pytest.mark.parametrize("name", FLAT)
def test_same_annotations_at_another_size_match(name, variant):
    found = marks(variants(name)[variant], name)
    for ours, theirs in zip(found, reference(name)[2], strict=True):
        assert ours.deviation(theirs) < 0.01


@pytest.mark.parametrize("name", FLAT)
def test_annotation_marks_sit_at_the_annotation(name):
    """Text ink starts at ``xytext``, on its baseline; the tip stops 2 pt short of
    ``xy``. At 100 dpi a pixel is 0.3 to 0.6 % of these boxes, and the tips
    measured lie up to 0.015 off (matplotlib's round join ends ~0.6 pt earlier)."""
    spec = SPECS[name]
    (x0, x1), (y0, y1) = spec.xlim, spec.ylim
    size = [side * 72 for side in spec.box_inches]
    for mark, ann in zip(reference(name)[2], spec.annotations, strict=True):
        origin = ((ann.xytext[0] - x0) / (x1 - x0), (ann.xytext[1] - y0) / (y1 - y0))
        tip = ((ann.xy[0] - x0) / (x1 - x0), (ann.xy[1] - y0) / (y1 - y0))
        centre = ((mark.text.u0 + mark.text.u1) / 2, (mark.text.v0 + mark.text.v1) / 2)
        np.testing.assert_allclose(mark.origin, origin, atol=0.01)
        np.testing.assert_allclose(mark.tip, arrow_end(tip, centre, size), atol=0.02)


def test_baseline_ignores_descenders_and_dots():
    """The text "empirical risk" has a p hanging below its baseline and three
    i dots above it; "local minimum" stands on its baseline."""
    empirical = reference("risk")[2][0]
    local = reference("local_minimum")[2][0]
    assert empirical.baseline - empirical.anchor[1] > 0.01  # the p's tail
    assert local.baseline - local.anchor[1] < 0.005


def _moved(spec: FigureSpec, what: str) -> FigureSpec:
    """``spec`` with its first annotation's text or tip 6 % of the box to the right."""
    ann = spec.annotations[0]
    dx = 0.06 * (spec.xlim[1] - spec.xlim[0])
    field = "xytext" if what == "text" else "xy"
    x, y = getattr(ann, field)
    moved = dataclasses.replace(ann, **{field: (x + dx, y)})
    return dataclasses.replace(spec, annotations=(moved, *spec.annotations[1:]))


@pytest.mark.parametrize("what", ["text", "tip"])
@pytest.mark.parametrize("name", FLAT)
def test_moved_annotation_is_detected(name, what):
    img = render(_moved(SPECS[name], what), 150)
    found = marks(img, name)  # searched where the original has them
    expected = reference(name)[2]
    moved, still = found[0], found[1:]
    if what == "text":
        assert moved.anchor[0] - expected[0].anchor[0] > MARK_THRESHOLD
    else:
        assert moved.tip[0] - expected[0].tip[0] > MARK_THRESHOLD
        assert moved.anchor == pytest.approx(expected[0].anchor, abs=0.01)
    for ours, theirs in zip(still, expected[1:], strict=True):
        assert ours.deviation(theirs) < 0.01


# -- the 3D wireframe ----------------------------------------------------------


def _azimuth(azim: float):
    return lambda ax: ax.view_init(elev=30, azim=azim)


@functools.cache
def saddle(dpi: float, azim: float = -60) -> np.ndarray:
    return render(SPECS["saddle_3d"], dpi, _azimuth(azim))


def test_default_view_is_the_original():
    np.testing.assert_array_equal(saddle(REFERENCE_DPI), original("saddle_3d", 100))


@pytest.mark.parametrize("variant", ["150 dpi", "72 dpi on 854x480"])
def test_same_wireframe_at_another_size_matches(variant):
    ref = saddle(REFERENCE_DPI)
    img = saddle(150) if variant == "150 dpi" else on_canvas(saddle(72))
    assert wireframe_overlap(line_pixels(ref, C0), line_pixels(img, C0)) > 0.99
    a, b = wireframe(ref), wireframe(img)
    np.testing.assert_allclose(b.marker, a.marker, atol=0.01)
    aspect = b.box.width / b.box.height
    assert aspect == pytest.approx(a.box.width / a.box.height, rel=0.01)


def test_other_azimuth_is_detected():
    ref, turned = saddle(REFERENCE_DPI), saddle(REFERENCE_DPI, azim=-30)
    assert wireframe_overlap(line_pixels(ref, C0), line_pixels(turned, C0)) < 0.8
    moved = np.subtract(wireframe(turned).marker, wireframe(ref).marker)
    assert np.abs(moved).max() > MARK_THRESHOLD
