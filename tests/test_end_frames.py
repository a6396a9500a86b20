"""Every 2D scene's last frame against its matplotlib original, from pixels alone.

Both images are measured the same way in the axes box's normalized coordinates
(see ``scenes/framematch.py``): curve pixels must lie within 1.5 % of the box of
the original's, annotation anchors and arrow tips within 3 %, and no ball,
readout or formula may be left inside the box.
"""

import importlib

import pytest
from conftest import last_frame
from manim import tempconfig

from optanim.lesson.catalog import BY_NAME
from optanim.lesson.figures import CORRECTED_RISK_LEGEND, SPECS
from optanim.qa import framematch as fm
from optanim.qa.original import draw_original
from optanim.render.theme import BALL_COLORS

CASES = {
    "risk": ("risk", {}),
    "risk-corrected-legend": ("risk", {"OPTANIM_RISK_LEGEND": "corrected"}),
    "local_minimum": ("local_minimum", {}),
    "saddle_point": ("saddle_point", {}),
    "vanishing_gradient": ("vanishing_gradient", {}),
}


@pytest.fixture(scope="module", params=CASES.values(), ids=CASES.keys())
def frames(request, tmp_path_factory):
    name, env = request.param
    entry = BY_NAME[name]
    scene = getattr(importlib.import_module(f"scenes.{name}"), entry.cls)
    with (
        tempconfig({"media_dir": str(tmp_path_factory.mktemp("media"))}),
        pytest.MonkeyPatch.context() as mp,
    ):
        for key, value in env.items():
            mp.setenv(key, value)
        frame = last_frame(scene, 1280, 720)
    spec = SPECS[name]
    if env:
        spec = spec.with_legend_labels(*CORRECTED_RISK_LEGEND)
    fig = draw_original(spec, dpi=300)
    return spec, frame, fm.figure_rgb(fig), fm.annotation_windows(fig)


def test_curves_lie_on_the_originals(frames):
    spec, frame, original, _ = frames
    ours, theirs = fm.axes_box(frame), fm.axes_box(original)
    for curve in spec.curves:
        distance = fm.mean_curve_distance(
            fm.curve_points(frame, ours, curve.color),
            fm.curve_points(original, theirs, curve.color),
        )
        assert distance < 0.015, curve.color


def test_annotations_sit_where_matplotlib_puts_them(frames):
    spec, frame, original, windows = frames
    assert len(windows) == len(spec.annotations)
    for annotation, window in zip(spec.annotations, windows, strict=True):
        ours = fm.annotation_marks(frame, fm.axes_box(frame), window)
        theirs = fm.annotation_marks(original, fm.axes_box(original), window)
        assert ours.deviation(theirs) < 0.03, annotation.text


def test_nothing_but_the_figure_is_left(frames):
    _, frame, original, _ = frames
    for color in BALL_COLORS:
        assert not fm.line_pixels(frame, color, 0.1).any()
    # A single leftover readout row moves the ink by more than this.
    ink = fm.mean_curve_distance(fm.ink_points(frame), fm.ink_points(original))
    assert ink < 0.005
