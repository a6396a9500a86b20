"""Loss landscapes of the lesson and the descent dynamics that run on them.

Pure numpy, with no manim import: every trajectory a scene animates is computed
here first, and can be tested without rendering anything.

>>> path = descent_path(grad_f, -0.9, lr=0.05, steps=40)
>>> round(float(path[-1]), 3)
-0.274
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Gradient = Callable[[np.ndarray], np.ndarray]


def f(x):
    """The expected risk of the lesson, ``x·cos(πx)``."""
    return x * np.cos(np.pi * x)


def grad_f(x):
    """``f'(x) = cos(πx) − πx·sin(πx)``."""
    return np.cos(np.pi * x) - np.pi * x * np.sin(np.pi * x)


def g(x):
    """The empirical risk: ``f`` plus the bumps of a finite sample, ``0.2·cos(5πx)``."""
    return f(x) + 0.2 * np.cos(5 * np.pi * x)


def grad_g(x):
    """``g'(x) = f'(x) − π·sin(5πx)``."""
    return grad_f(x) - np.pi * np.sin(5 * np.pi * x)


def cube(x):
    """``x³``: a saddle point at 0 in one dimension."""
    return x**3


def grad_cube(x):
    """``3x²``, which vanishes at 0 although 0 is no minimum."""
    return 3 * x**2


def saddle(x, y):
    """``x² − y²``: a minimum along x and a maximum along y at the origin."""
    return x**2 - y**2


def grad_saddle(p):
    """The gradient ``(2x, −2y)`` of :func:`saddle` at ``p = (x, y)``."""
    p = np.asarray(p, dtype=float)
    return np.array([2 * p[0], -2 * p[1]])


def tanh(x):
    """The activation whose flat tails make gradients vanish."""
    return np.tanh(x)


def grad_tanh(x):
    """``1 − tanh²(x)``."""
    return 1 - np.tanh(x) ** 2


def _check_start(x0, domain):
    if domain is None:
        return
    lo, hi = domain
    if not np.all((lo <= np.asarray(x0)) & (np.asarray(x0) <= hi)):
        raise ValueError(f"start {x0} lies outside the plotted domain [{lo}, {hi}]")


def _check_step(x, t, lr, domain):
    if not np.all(np.isfinite(x)):
        raise ValueError(
            f"learning rate {lr} diverges: the iterate is not finite at step {t}"
        )
    if domain is not None and not np.all((domain[0] <= x) & (x <= domain[1])):
        raise ValueError(
            f"learning rate {lr} diverges: step {t} leaves the plotted domain "
            f"[{domain[0]}, {domain[1]}]"
        )


def momentum_path(
    grad: Gradient,
    x0,
    lr: float,
    steps: int,
    beta: float = 0.0,
    domain: tuple[float, float] | None = None,
    noise: float = 0.0,
    seed: int | None = None,
) -> np.ndarray:
    """Heavy-ball descent ``v ← βv − η∇(x) + ε``, ``x ← x + v``.

    Parameters
    ----------
    grad
        The gradient of the objective; it takes and returns arrays of ``x0``'s shape.
    x0
        The start, a scalar or a point.
    lr
        The learning rate η, positive.
    steps
        The number of updates; the path holds ``steps + 1`` iterates.
    beta
        The momentum β in ``[0, 1)``; 0 is plain gradient descent.
    domain
        The plotted interval ``(lo, hi)``. A start outside it, or an iterate that
        leaves it, raises ``ValueError``: the descent diverged off the plot.
    noise, seed
        Standard deviation of Gaussian noise added to each gradient, drawn from
        ``numpy.random.default_rng(seed)``. A noisy path needs an explicit seed.

    Returns
    -------
    numpy.ndarray
        The iterates ``x_0 … x_steps``, stacked along the first axis.

    Examples
    --------
    >>> momentum_path(grad_cube, 1.0, lr=0.1, steps=2).round(4).tolist()
    [1.0, 0.7, 0.553]
    """
    if not lr > 0 or not np.isfinite(lr):
        raise ValueError(f"learning rate must be a positive number, got {lr}")
    if int(steps) != steps or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps}")
    if not 0 <= beta < 1:
        raise ValueError(f"momentum must lie in [0, 1), got {beta}")
    if noise and seed is None:
        raise ValueError("a noisy descent needs an explicit seed")
    _check_start(x0, domain)
    rng = np.random.default_rng(seed)
    x = np.array(x0, dtype=float)
    v = np.zeros_like(x)
    path = [x.copy()]
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, int(steps) + 1):
            g = np.asarray(grad(x), dtype=float)
            if noise:
                g = g + rng.normal(0.0, noise, size=x.shape)
            v = beta * v - lr * g
            x = x + v
            _check_step(x, t, lr, domain)
            path.append(x.copy())
    return np.array(path)


def descent_path(grad: Gradient, x0, lr: float, steps: int, **kwargs) -> np.ndarray:
    """Gradient descent ``x ← x − η∇(x)``: :func:`momentum_path` with β = 0.

    Examples
    --------
    >>> descent_path(grad_tanh, 4.0, lr=1.0, steps=3)[-1] - 4.0 < 0.005
    True
    """
    return momentum_path(grad, x0, lr, steps, beta=0.0, **kwargs)
