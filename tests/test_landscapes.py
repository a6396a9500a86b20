"""The objectives, their gradients and the descent dynamics, without rendering."""

import numpy as np
import pytest

from optanim.lesson import landscapes as ls

GRADIENTS = [
    (ls.f, ls.grad_f),
    (ls.g, ls.grad_g),
    (ls.cube, ls.grad_cube),
    (ls.tanh, ls.grad_tanh),
]


@pytest.mark.parametrize(("fn", "grad"), GRADIENTS)
def test_gradients_match_central_differences(fn, grad):
    x = np.linspace(-2, 2, 81)
    h = 1e-5
    numeric = (fn(x + h) - fn(x - h)) / (2 * h)
    np.testing.assert_allclose(grad(x), numeric, atol=1e-6)


def test_saddle_gradient_matches_central_differences():
    rng = np.random.default_rng(0)
    for p in rng.uniform(-1, 1, size=(10, 2)):
        h = 1e-6
        numeric = [
            (ls.saddle(*(p + d)) - ls.saddle(*(p - d))) / (2 * h)
            for d in (np.array([h, 0]), np.array([0, h]))
        ]
        np.testing.assert_allclose(ls.grad_saddle(p), numeric, atol=1e-6)


@pytest.mark.parametrize(("x0", "minimum"), [(-0.9, -0.2739), (0.6, 1.0904)])
def test_descent_on_f_finds_the_minimum_of_its_basin(x0, minimum):
    path = ls.descent_path(ls.grad_f, x0, lr=0.05, steps=30)
    assert abs(path[-1] - minimum) < 1e-3
    assert len(path) == 31
    assert path[0] == x0


def test_the_local_minimum_is_a_true_stationary_point():
    x = ls.descent_path(ls.grad_f, -0.9, lr=0.05, steps=200)[-1]
    assert abs(ls.grad_f(x)) < 1e-9
    assert abs(ls.f(x) - (-0.1786)) < 1e-4


def test_divergent_learning_rate_is_detected_from_the_dynamics():
    with pytest.raises(ValueError, match="diverges"):
        ls.descent_path(ls.grad_f, -0.9, lr=1.0, steps=30, domain=(-1.0, 1.9))
    with pytest.raises(ValueError, match="not finite"):
        ls.descent_path(ls.grad_cube, 1.5, lr=10.0, steps=30)


def test_a_start_outside_the_plot_is_refused():
    with pytest.raises(ValueError, match="outside the plotted domain"):
        ls.descent_path(ls.grad_f, 2.5, lr=0.05, steps=3, domain=(-1.0, 1.9))


def test_momentum_overshoots_where_plain_descent_stops():
    plain = ls.descent_path(ls.grad_f, -0.9, lr=0.05, steps=60)
    heavy = ls.momentum_path(ls.grad_f, -0.9, lr=0.05, steps=60, beta=0.9)
    assert abs(plain[-1] + 0.2739) < 1e-3
    assert heavy.max() > plain.max()  # the heavy ball climbs past the minimum


def test_noisy_descent_is_reproducible_and_needs_a_seed():
    a = ls.descent_path(ls.grad_f, 0.6, lr=0.05, steps=20, noise=0.5, seed=7)
    b = ls.descent_path(ls.grad_f, 0.6, lr=0.05, steps=20, noise=0.5, seed=7)
    c = ls.descent_path(ls.grad_f, 0.6, lr=0.05, steps=20, noise=0.5, seed=8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    with pytest.raises(ValueError, match="seed"):
        ls.descent_path(ls.grad_f, 0.6, lr=0.05, steps=20, noise=0.5)


def test_descent_works_on_points():
    path = ls.descent_path(ls.grad_saddle, [0.9, 0.0], lr=0.1, steps=50)
    assert path.shape == (51, 2)
    np.testing.assert_allclose(path[-1], [0, 0], atol=1e-4)
