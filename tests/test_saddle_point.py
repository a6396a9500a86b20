"""The saddle-point scene: stalling at 0, the nudge, and its last frame."""

import numpy as np
import pytest
from conftest import last_frame
from manim import tempconfig

from optanim.lesson import params
from optanim.lesson.figures import SPECS
from optanim.lesson.landscapes import cube, grad_cube
from scenes.saddle_point import SaddlePoint

SPEC = SPECS["saddle_point"]
DOMAIN = (-2.0, 1.9)


def test_descent_stalls_just_right_of_the_saddle():
    stall = params.resolve("saddle_point").paths["stall"]
    assert stall[0] == 1.5
    assert 0 < stall[-1] < 0.05
    assert grad_cube(stall[0]) > 500 * grad_cube(stall[-1])  # the gradient collapses
    assert (np.diff(stall) < 0).all()  # still moving left, ever more slowly
    assert (np.diff(np.diff(stall)) > 0).all()


def test_nudge_past_the_saddle_runs_away_downhill_inside_the_plot():
    nudge = params.resolve("saddle_point").paths["nudge"]
    assert -0.1 < nudge[0] < 0
    assert (np.diff(cube(nudge)) < 0).all()
    assert nudge[-1] < -1.0
    assert (nudge >= DOMAIN[0]).all()


@pytest.mark.parametrize(
    ("text", "on"), [("false", False), ("0", False), ("true", True), ("1", True)]
)
def test_nudge_switch_reads_the_environment(text, on):
    p = params.resolve("saddle_point", environ={"OPTANIM_SADDLE_POINT_NUDGE": text})
    assert p.nudge is on
    assert ("nudge" in p.paths) is on


def test_nudge_switch_reads_toml_booleans(tmp_path):
    (tmp_path / "optanim.toml").write_text("[saddle_point]\nnudge = false\n")
    assert params.resolve("saddle_point").nudge is False


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
        params.resolve("saddle_point", overrides)


@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    with tempconfig({"media_dir": str(tmp_path_factory.mktemp("media"))}):
        frame = last_frame(SaddlePoint, 1280, 720)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("OPTANIM_SADDLE_POINT_NUDGE", "false")
            unnudged = last_frame(SaddlePoint, 1280, 720)
    return frame, unnudged


def test_the_nudge_leaves_no_trace_in_the_last_frame(frames):
    frame, unnudged = frames
    np.testing.assert_array_equal(frame, unnudged)
