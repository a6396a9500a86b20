"""The figure specs derive limits and ticks exactly as matplotlib does."""

import numpy as np
import pytest

from optanim.lesson.figures import SPECS, auto_ticks, tick_labels
from optanim.qa.original import draw_original

FLAT = [name for name, spec in SPECS.items() if spec.view3d is None]

# Facts of docs/figures.md: visible ticks and limits of each original.
FACTS = {
    "risk": (np.arange(0.6, 1.41, 0.2), np.arange(-1.2, 0.01, 0.2),
             (0.4505, 1.5395), (-1.2686, 0.0604)),
    "local_minimum": (np.arange(-1.0, 2.01, 0.5), [-1, 0, 1],
                      (-1.145, 2.045), (-1.1888, 1.9497)),
    "saddle_point": ([-2, -1, 0, 1, 2], [-5, 0, 5], (-2.195, 2.095), (-8.743, 7.602)),
    "vanishing_gradient": (np.arange(-2, 5.1, 1), np.arange(-1, 1.01, 0.25),
                           (-2.3495, 5.3395), (-1.0622, 1.0981)),
}  # fmt: skip


def visible(ticks, lim):
    return [t for t in ticks if lim[0] <= t <= lim[1]]


@pytest.mark.parametrize("name", FLAT)
def test_spec_matches_matplotlibs_own_limits_and_ticks(name):
    spec = SPECS[name]
    ax = draw_original(spec).axes[0]
    np.testing.assert_allclose(spec.xlim, ax.get_xlim(), atol=1e-12)
    np.testing.assert_allclose(spec.ylim, ax.get_ylim(), atol=1e-12)
    np.testing.assert_allclose(spec.xticks, visible(ax.get_xticks(), ax.get_xlim()))
    np.testing.assert_allclose(spec.yticks, visible(ax.get_yticks(), ax.get_ylim()))


@pytest.mark.parametrize("name", FLAT)
def test_spec_matches_the_facts_of_the_original(name):
    xticks, yticks, xlim, ylim = FACTS[name]
    spec = SPECS[name]
    np.testing.assert_allclose(spec.xticks, xticks, atol=1e-9)
    np.testing.assert_allclose(spec.yticks, yticks, atol=1e-9)
    np.testing.assert_allclose(spec.xlim, xlim, atol=6e-5)
    np.testing.assert_allclose(spec.ylim, ylim, atol=6e-5)


@pytest.mark.parametrize("name", FLAT)
def test_tick_labels_are_matplotlibs(name):
    spec = SPECS[name]
    fig = draw_original(spec)
    fig.canvas.draw()
    ax = fig.axes[0]
    for axis, ticks, labels in (
        (0, spec.xticks, ax.get_xticklabels()),
        (1, spec.yticks, ax.get_yticklabels()),
    ):
        shown = {round(t.get_position()[axis], 9): t.get_text() for t in labels}
        assert tick_labels(ticks) == [shown[round(float(t), 9)] for t in ticks]


def test_3d_spec_matches_matplotlib():
    spec = SPECS["saddle_3d"]
    fig = draw_original(spec)
    fig.canvas.draw()
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.get_xlim(), spec.view3d.xlim)
    np.testing.assert_allclose(ax.get_ylim(), spec.view3d.xlim)
    np.testing.assert_allclose(ax.get_zlim(), spec.view3d.zlim)
    np.testing.assert_allclose(ax.get_position().bounds, spec.box, atol=1e-4)
    assert (ax.elev, ax.azim) == (spec.view3d.elev, spec.view3d.azim)


def test_auto_ticks_fits_the_axis_length():
    assert auto_ticks(0, 10, 9).tolist() == [0, 2, 4, 6, 8, 10]
    assert auto_ticks(0, 10, 3).tolist() == [0, 5, 10]
    assert tick_labels([-1, 0, 1]) == ["\u22121", "0", "1"]


def test_corrected_legend_swaps_the_curve_names():
    from optanim.lesson.figures import CORRECTED_RISK_LEGEND

    spec = SPECS["risk"].with_legend_labels(*CORRECTED_RISK_LEGEND)
    assert [c.label for c in spec.curves] == ["test error", "train error"]
    assert [c.label for c in SPECS["risk"].curves] == ["train error", "test error"]
