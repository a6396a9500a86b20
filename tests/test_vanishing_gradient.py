"""The vanishing-gradient scene: a fast and a crawling descent, and its last frame."""

import pytest

from optanim.lesson import params
from optanim.lesson.figures import SPECS
from optanim.lesson.landscapes import grad_tanh

SPEC = SPECS["vanishing_gradient"]
DOMAIN = (-2.0, 4.99)


def test_the_gradients_at_the_two_starts():
    p = params.resolve("vanishing_gradient")
    assert (p.slope_start, p.tail_start) == (0.5, 4.0)
    assert grad_tanh(p.slope_start) == pytest.approx(0.7864, abs=1e-4)
    assert grad_tanh(p.tail_start) == pytest.approx(0.00134, abs=1e-5)


def test_the_tail_ball_moves_less_than_a_hundredth_as_far():
    paths = params.resolve("vanishing_gradient").paths
    slope, tail = paths["slope"], paths["tail"]
    assert len(slope) == len(tail)  # same steps, same learning rate
    assert abs(tail[-1] - tail[0]) < 0.01 * abs(slope[-1] - slope[0])
    assert abs(slope[-1] - slope[0]) > 1.0  # the slope ball really travels
    for path in (slope, tail):
        assert ((DOMAIN[0] <= path) & (path <= DOMAIN[1])).all()


def test_huge_learning_rate_diverges():
    with pytest.raises(params.ParamError, match="leaves the plotted domain"):
        params.resolve("vanishing_gradient", {"lr": 10})
