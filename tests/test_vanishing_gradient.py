"""The vanishing-gradient scene: a fast and a crawling descent, and its last frame."""

import numpy as np
import pytest
from conftest import last_frame
from manim import tempconfig

from scenes import framematch as fm
from scenes import params
from scenes.figures import SPECS
from scenes.landscapes import grad_tanh
from scenes.mpl_figure import draw_original
from scenes.vanishing_gradient import VanishingGradient

SPEC = SPECS["vanishing_gradient"]
DOMAIN = (-2.0, 4.99)


def test_the_gradients_at_the_two_starts():
    p = params.load("vanishing_gradient")
    assert (p.slope_start, p.tail_start) == (0.5, 4.0)
    assert grad_tanh(p.slope_start) == pytest.approx(0.7864, abs=1e-4)
    assert grad_tanh(p.tail_start) == pytest.approx(0.00134, abs=1e-5)


def test_the_tail_ball_moves_less_than_a_hundredth_as_far():
    paths = params.load("vanishing_gradient").paths()
    slope, tail = paths["slope"], paths["tail"]
    assert len(slope) == len(tail)  # same steps, same learning rate
    assert abs(tail[-1] - tail[0]) < 0.01 * abs(slope[-1] - slope[0])
    assert abs(slope[-1] - slope[0]) > 1.0  # the slope ball really travels
    for path in (slope, tail):
        assert ((DOMAIN[0] <= path) & (path <= DOMAIN[1])).all()


def test_huge_learning_rate_diverges():
    with pytest.raises(params.ParamError, match="leaves the plotted domain"):
        params.load("vanishing_gradient", {"lr": 10})


@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    with tempconfig({"media_dir": str(tmp_path_factory.mktemp("media"))}):
        frame = last_frame(VanishingGradient, 1280, 720)
    fig = draw_original(SPEC, dpi=300)
    return frame, fm.figure_rgb(fig), fm.annotation_windows(fig)


def test_last_frame_curve_lies_on_the_originals(frames):
    frame, original, _ = frames
    distance = fm.mean_curve_distance(
        fm.curve_points(frame, fm.axes_box(frame)),
        fm.curve_points(original, fm.axes_box(original)),
    )
    assert distance < 0.015


def test_last_frame_annotation_sits_where_matplotlib_puts_it(frames):
    frame, original, windows = frames
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
    frame, original, _ = frames
    ball = fm.line_pixels(frame, "#ff7f0e", 0.1) | fm.line_pixels(frame, "#2ca02c", 0.1)
    assert not ball.any()
    assert fm.mean_curve_distance(ink(frame), ink(original)) < 0.005
