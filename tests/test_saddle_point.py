"""The saddle-point scene: stalling at 0, the nudge, and its last frame."""

import numpy as np
import pytest
from conftest import last_frame
from manim import tempconfig

from scenes import framematch as fm
from scenes import params
from scenes.figures import SPECS
from scenes.landscapes import cube, grad_cube
from scenes.mpl_figure import draw_original
from scenes.saddle_point import SaddlePoint

SPEC = SPECS["saddle_point"]
DOMAIN = (-2.0, 1.9)


def test_descent_stalls_just_right_of_the_saddle():
    stall = params.load("saddle_point").paths()["stall"]
    assert stall[0] == 1.5
    assert 0 < stall[-1] < 0.05
    assert grad_cube(stall[0]) > 500 * grad_cube(stall[-1])  # the gradient collapses
    assert (np.diff(stall) < 0).all()  # still moving left, ever more slowly
    assert (np.diff(np.diff(stall)) > 0).all()


def test_nudge_past_the_saddle_runs_away_downhill_inside_the_plot():
    nudge = params.load("saddle_point").paths()["nudge"]
    assert -0.1 < nudge[0] < 0
    assert (np.diff(cube(nudge)) < 0).all()
    assert nudge[-1] < -1.0
    assert (nudge >= DOMAIN[0]).all()


@pytest.mark.parametrize(
    ("text", "on"), [("false", False), ("0", False), ("true", True), ("1", True)]
)
def test_nudge_switch_reads_the_environment(text, on):
    p = params.load("saddle_point", environ={"OPTANIM_SADDLE_POINT_NUDGE": text})
    assert p.nudge is on
    assert ("nudge" in p.paths()) is on


def test_nudge_switch_reads_toml_booleans(tmp_path):
    (tmp_path / "optanim.toml").write_text("[saddle_point]\nnudge = false\n")
    assert params.load("saddle_point").nudge is False


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"nudge": "maybe"}, "nudge must be true or false, got 'maybe'"),
        ({"nudge_start": 0.1}, "nudge_start must lie past the saddle"),
        ({"lr": 10}, "learning rate 10.0 diverges"),
        ({"nudge_steps": 80}, r"leaves the plotted domain .* lower nudge_steps"),
    ],
)
def test_invalid_values_and_divergence_raise(overrides, message):
    with pytest.raises(params.ParamError, match=message):
        params.load("saddle_point", overrides)


@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    with tempconfig({"media_dir": str(tmp_path_factory.mktemp("media"))}):
        frame = last_frame(SaddlePoint, 1280, 720)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("OPTANIM_SADDLE_POINT_NUDGE", "false")
            unnudged = last_frame(SaddlePoint, 1280, 720)
    fig = draw_original(SPEC, dpi=300)
    return frame, unnudged, fm.figure_rgb(fig), fm.annotation_windows(fig)


def test_last_frame_curve_lies_on_the_originals(frames):
    frame, _, original, _ = frames
    distance = fm.mean_curve_distance(
        fm.curve_points(frame, fm.axes_box(frame)),
        fm.curve_points(original, fm.axes_box(original)),
    )
    assert distance < 0.015


def test_last_frame_annotation_sits_where_matplotlib_puts_it(frames):
    frame, _, original, windows = frames
    (window,) = windows
    ours = fm.annotation_marks(frame, fm.axes_box(frame), window)
    theirs = fm.annotation_marks(original, fm.axes_box(original), window)
    assert ours.deviation(theirs) < 0.03


def ink(img: np.ndarray) -> np.ndarray:
    """Black ink (text, arrows, ball outlines) inside the axes box, as ``(u, v)``."""
    box = fm.axes_box(img)
    rows, cols = np.nonzero(fm.darkness(img) > fm.INK_DARKNESS)
    u, v = box.normalize(cols, rows)
    inside = (u > 0.01) & (u < 0.99) & (v > 0.01) & (v < 0.99)
    return np.column_stack([u[inside], v[inside]])


def test_last_frame_shows_nothing_but_the_figure(frames):
    frame, unnudged, original, _ = frames
    assert not fm.line_pixels(frame, "#ff7f0e", 0.1).any()
    assert fm.mean_curve_distance(ink(frame), ink(original)) < 0.005
    np.testing.assert_array_equal(frame, unnudged)  # the nudge leaves no trace
